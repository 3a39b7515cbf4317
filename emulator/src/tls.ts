import { createHash, webcrypto } from 'node:crypto';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
// @peculiar/x509 resolves its services through tsyringe, which needs the Reflect metadata polyfill loaded first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

/**
 * The emulator's HTTPS material: a local certificate authority and a server certificate it signs.
 * MSAL refuses non-https authorities (ClientConfigurationError authority_uri_insecure), so the emulator
 * serves HTTPS. Node trusts the CA through NODE_EXTRA_CA_CERTS; Chromium accepts the server key through
 * --ignore-certificate-errors-spki-list, which takes the base64 SHA-256 of the server's SubjectPublicKeyInfo.
 * Everything is kept in one folder and reused, so NODE_EXTRA_CA_CERTS can point at it before a process starts.
 */
export interface TlsMaterial {
  caCertPath: string;
  /** PEM of the CA certificate. */
  ca: string;
  cert: string;
  key: string;
  /** base64(SHA-256(server SPKI)), for Chromium's --ignore-certificate-errors-spki-list. */
  spki: string;
}

x509.cryptoProvider.set(webcrypto as unknown as Crypto);
const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;
const HOSTS = ['localhost', '127.0.0.1', '::1'];
const DAY = 86_400_000;

async function exists(file: string): Promise<boolean> {
  return readFile(file).then(
    () => true,
    () => false,
  );
}

async function privatePem(key: CryptoKey): Promise<string> {
  const der = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', key));
  return `-----BEGIN PRIVATE KEY-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').trimEnd()}\n-----END PRIVATE KEY-----\n`;
}

async function importPrivatePem(pem: string): Promise<CryptoKey> {
  const der = Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  return webcrypto.subtle.importKey('pkcs8', der, EC, true, ['sign']);
}

export function spkiHash(certPem: string): string {
  const cert = new x509.X509Certificate(certPem);
  return createHash('sha256').update(Buffer.from(cert.publicKey.rawData)).digest('base64');
}

async function createCa(): Promise<{ cert: x509.X509Certificate; keys: CryptoKeyPair }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    name: 'CN=Peoplebook tenant emulator local CA',
    keys,
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 3650 * DAY),
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { cert, keys };
}

async function createLeaf(ca: { cert: x509.X509Certificate; key: CryptoKey }): Promise<{ cert: x509.X509Certificate; key: CryptoKey }> {
  const keys = (await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify'])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.create({
    subject: 'CN=localhost',
    issuer: ca.cert.subject,
    publicKey: keys.publicKey,
    signingKey: ca.key,
    // Browsers reject server certificates valid for more than 398 days.
    notBefore: new Date(Date.now() - DAY),
    notAfter: new Date(Date.now() + 390 * DAY),
    signingAlgorithm: SIGN,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(
        HOSTS.map((host): x509.JsonGeneralName => (host.includes('.') || host.includes(':') ? { type: 'ip', value: host } : { type: 'dns', value: host })),
      ),
      await x509.AuthorityKeyIdentifierExtension.create(ca.cert),
    ],
  });
  return { cert, key: keys.privateKey };
}

/** Loads the CA and server certificate from `dir`, creating or renewing what is missing or expiring. */
export async function loadTlsMaterial(dir: string): Promise<TlsMaterial> {
  await mkdir(dir, { recursive: true });
  const files = {
    ca: path.join(dir, 'ca.pem'),
    caKey: path.join(dir, 'ca-key.pem'),
    cert: path.join(dir, 'server.pem'),
    key: path.join(dir, 'server-key.pem'),
  };
  const soon = Date.now() + 7 * DAY;
  let ca: { cert: x509.X509Certificate; key: CryptoKey } | undefined;
  if ((await exists(files.ca)) && (await exists(files.caKey))) {
    const cert = new x509.X509Certificate(await readFile(files.ca, 'utf8'));
    if (cert.notAfter.getTime() > soon) ca = { cert, key: await importPrivatePem(await readFile(files.caKey, 'utf8')) };
  }
  let renewLeaf = false;
  if (!ca) {
    const created = await createCa();
    ca = { cert: created.cert, key: created.keys.privateKey };
    await writeFile(files.caKey, await privatePem(created.keys.privateKey), { mode: 0o600 });
    await chmod(files.caKey, 0o600);
    await writeFile(files.ca, created.cert.toString('pem') + '\n');
    renewLeaf = true;
  }
  if (!renewLeaf && (await exists(files.cert)) && (await exists(files.key))) {
    const leaf = new x509.X509Certificate(await readFile(files.cert, 'utf8'));
    renewLeaf = leaf.notAfter.getTime() < soon || leaf.issuer !== ca.cert.subject;
  } else {
    renewLeaf = true;
  }
  if (renewLeaf) {
    const leaf = await createLeaf(ca);
    await writeFile(files.key, await privatePem(leaf.key), { mode: 0o600 });
    await chmod(files.key, 0o600);
    await writeFile(files.cert, leaf.cert.toString('pem') + '\n');
  }
  const cert = await readFile(files.cert, 'utf8');
  return {
    caCertPath: files.ca,
    ca: await readFile(files.ca, 'utf8'),
    cert,
    key: await readFile(files.key, 'utf8'),
    spki: spkiHash(cert),
  };
}
