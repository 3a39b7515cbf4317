import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, SignJWT, UnsecuredJWT } from 'jose';
import { describe, expect, it } from 'vitest';
import { createClock } from '../../emulator/src/clock.ts';
import { deterministicGuid, isGuid } from '../../emulator/src/ids.ts';
import { createKeyStore } from '../../emulator/src/keys.ts';
import { loadTlsMaterial, spkiHash } from '../../emulator/src/tls.ts';
import { createTokenService, TokenError, v1Issuer } from '../../emulator/src/tokens.ts';
import type { DirectoryUser } from '../../emulator/src/directory/types.ts';

const user = (id: string): DirectoryUser => ({
  id,
  displayName: 'Zoë Ångström',
  givenName: 'Zoë',
  surname: 'Ångström',
  mail: 'zoe@lakeside.example',
  userPrincipalName: 'zoe@lakeside.example',
  jobTitle: null,
  department: null,
  companyName: null,
  officeLocation: null,
  businessPhones: [],
  mobilePhone: null,
  preferredLanguage: null,
  city: null,
  country: null,
  usageLocation: null,
  employeeId: null,
  accountEnabled: true,
  userType: 'Member',
  createdDateTime: '2024-01-01T00:00:00Z',
  managerId: null,
  roles: [],
  hasPhoto: false,
  photoVersion: 1,
});

describe('TLS material', () => {
  it('creates a CA and a server certificate for localhost that the CA signed, and reuses them', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pb-tls-'));
    const first = await loadTlsMaterial(dir);
    const ca = new X509Certificate(first.ca);
    const leaf = new X509Certificate(first.cert);
    expect(ca.ca).toBe(true);
    expect(leaf.ca).toBe(false);
    expect(leaf.verify(ca.publicKey)).toBe(true);
    expect(leaf.checkHost('localhost')).toBe('localhost');
    expect(leaf.checkIP('127.0.0.1')).toBe('127.0.0.1');
    // Browsers refuse server certificates valid for more than 398 days.
    expect(Date.parse(leaf.validTo) - Date.parse(leaf.validFrom)).toBeLessThanOrEqual(398 * 86_400_000);
    expect((await stat(path.join(dir, 'server-key.pem'))).mode & 0o777).toBe(0o600);
    expect((await stat(path.join(dir, 'ca-key.pem'))).mode & 0o777).toBe(0o600);

    const second = await loadTlsMaterial(dir);
    expect(second.cert).toBe(first.cert);
    expect(second.spki).toBe(first.spki);
    expect(await readFile(second.caCertPath, 'utf8')).toBe(first.ca);
  });

  it('gives the SPKI hash Chromium expects: base64 SHA-256 of the public key info', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'pb-tls-'));
    const tls = await loadTlsMaterial(dir);
    const der = new X509Certificate(tls.cert).publicKey.export({ type: 'spki', format: 'der' });
    const expected = (await import('node:crypto')).createHash('sha256').update(der).digest('base64');
    expect(spkiHash(tls.cert)).toBe(expected);
  });
});

describe('ids', () => {
  it('derives stable version-4-shaped GUIDs from a seed', () => {
    const a = deterministicGuid('user', 1, 42);
    expect(a).toBe(deterministicGuid('user', 1, 42));
    expect(a).not.toBe(deterministicGuid('user', 2, 42));
    expect(isGuid(a)).toBe(true);
    expect(a[14]).toBe('4');
    expect(['8', '9', 'a', 'b']).toContain(a[19]);
  });
});

describe('clock', () => {
  it('moves forward only', () => {
    const clock = createClock(() => 1000);
    clock.advance(500);
    expect(clock.now()).toBe(1500);
    expect(() => clock.advance(-1)).toThrow(RangeError);
  });
});

describe('token service', () => {
  const tenantId = deterministicGuid('t');
  const otherTenant = deterministicGuid('u');
  const setup = async () => {
    const clock = createClock();
    const keys = await createKeyStore();
    const tokens = createTokenService({ origin: 'https://localhost:1', keys, clock });
    return { clock, keys, tokens };
  };

  it('issues Graph tokens that verify, with the claims Graph reads', async () => {
    const { tokens } = await setup();
    const token = await tokens.graphToken({ subject: { tenantId, user: user('a') }, clientId: 'c', scopes: ['User.Read', 'User.Read.All'] });
    const claims = await tokens.verifyGraphToken(token);
    expect(claims).toMatchObject({ tid: tenantId, oid: 'a', appid: 'c', idtyp: 'user', scp: 'User.Read User.Read.All', iss: v1Issuer(tenantId), aud: 'https://graph.microsoft.com' });
    const app = await tokens.verifyGraphToken(await tokens.graphToken({ subject: { tenantId }, clientId: 'c', roles: ['User.Read.All'] }));
    expect(app).toMatchObject({ idtyp: 'app', roles: ['User.Read.All'] });
    expect(app.scp).toBeUndefined();
  });

  it('issues v2 ID tokens with a pairwise subject, nonce and the user claims', async () => {
    const { tokens } = await setup();
    const idToken = await tokens.idToken({ subject: { tenantId, user: user('a') }, clientId: 'app-1', nonce: 'n-1', scopes: ['openid', 'email'], authTime: 1 });
    const claims = decodeJwt(idToken);
    expect(claims).toMatchObject({ aud: 'app-1', iss: `https://localhost:1/${tenantId}/v2.0`, ver: '2.0', nonce: 'n-1', oid: 'a', email: 'zoe@lakeside.example', preferred_username: 'zoe@lakeside.example' });
    const other = decodeJwt(await tokens.idToken({ subject: { tenantId, user: user('a') }, clientId: 'app-2', scopes: ['openid'], authTime: 1 }));
    expect(other.sub).not.toBe(claims.sub);
    expect(other.email).toBeUndefined();
  });

  it.each([
    ['an unsigned token (alg none)', async () => new UnsecuredJWT({ tid: tenantId, aud: 'https://graph.microsoft.com' }).encode()],
    ['garbage', async () => 'not.a.jwt'],
    ['a token signed by an unknown key', async () => {
      const other = await createKeyStore();
      return new SignJWT({ tid: tenantId, aud: 'https://graph.microsoft.com', iss: v1Issuer(tenantId) })
        .setProtectedHeader({ alg: 'RS256', kid: other.current().kid })
        .setExpirationTime('1h')
        .sign(other.current().privateKey);
    }],
  ])('refuses %s', async (_name, make) => {
    const { tokens } = await setup();
    await expect(tokens.verifyGraphToken(await make())).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('refuses a token for another audience and one whose issuer names another tenant', async () => {
    const { tokens, keys } = await setup();
    const api = await tokens.apiToken({ subject: { tenantId, user: user('a') }, clientId: 'c', audienceClientId: 'c', scopes: ['access_as_user'] });
    await expect(tokens.verifyGraphToken(api)).rejects.toBeInstanceOf(TokenError);
    const forged = await new SignJWT({ tid: otherTenant, aud: 'https://graph.microsoft.com', iss: v1Issuer(tenantId) })
      .setProtectedHeader({ alg: 'RS256', kid: keys.current().kid })
      .setExpirationTime('1h')
      .sign(keys.current().privateKey);
    await expect(tokens.verifyGraphToken(forged)).rejects.toMatchObject({ code: 'invalid_token' });
  });

  it('expires tokens after their lifetime, by the emulator clock', async () => {
    const { tokens, clock } = await setup();
    const token = await tokens.graphToken({ subject: { tenantId, user: user('a') }, clientId: 'c', scopes: ['User.Read'] });
    clock.advance(76 * 60_000 + 300_000);
    await expect(tokens.verifyGraphToken(token)).rejects.toMatchObject({ code: 'expired' });
  });

  it('refuses tokens issued before a revocation, and accepts ones issued after, even in the same second', async () => {
    const { tokens } = await setup();
    const before = await tokens.graphToken({ subject: { tenantId, user: user('a') }, clientId: 'c', scopes: ['User.Read'] });
    tokens.revokeUser(tenantId, 'a');
    await expect(tokens.verifyGraphToken(before)).rejects.toMatchObject({ code: 'revoked' });
    const after = await tokens.graphToken({ subject: { tenantId, user: user('a') }, clientId: 'c', scopes: ['User.Read'] });
    await expect(tokens.verifyGraphToken(after)).resolves.toMatchObject({ oid: 'a' });
    // Another user's tokens are untouched.
    const bystander = await tokens.graphToken({ subject: { tenantId, user: user('b') }, clientId: 'c', scopes: ['User.Read'] });
    tokens.revokeUser(tenantId, 'a');
    await expect(tokens.verifyGraphToken(bystander)).resolves.toMatchObject({ oid: 'b' });
  });

  it('keeps verifying tokens of a rotated-out key while it is published, and stops once retired', async () => {
    const { tokens, keys } = await setup();
    const old = await tokens.graphToken({ subject: { tenantId, user: user('a') }, clientId: 'c', scopes: ['User.Read'] });
    const oldKid = decodeProtectedHeader(old).kid!;
    const newKid = await keys.rotate();
    expect(newKid).not.toBe(oldKid);
    expect(decodeProtectedHeader(await tokens.graphToken({ subject: { tenantId }, clientId: 'c' })).kid).toBe(newKid);
    await expect(tokens.verifyGraphToken(old)).resolves.toBeTruthy();
    keys.retire(oldKid);
    await expect(tokens.verifyGraphToken(old)).rejects.toMatchObject({ code: 'invalid_token' });
    expect(() => keys.retire(newKid)).toThrow(/only signing key/);
  });
});

