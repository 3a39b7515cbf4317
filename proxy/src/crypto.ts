import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Secrets at rest: the tenant's client secret, its MSAL token cache (refresh token inside) and the PKCE
 * verifier of a pending onboarding are sealed with AES-256-GCM before they reach the store
 * (NIST SP 800-38D; Node's API: https://nodejs.org/api/crypto.html#class-cipher).
 *
 * Sealed format: `v1.<iv>.<ciphertext‖tag>`, both parts base64url (RFC 4648 §5): a version first so the
 * key or algorithm can change later without guessing, a fresh random 96-bit IV per value (the size GCM is
 * defined for; random IVs are safe far beyond the number of secrets a proxy ever seals), and the 128-bit
 * tag appended. The additional authenticated data (AAD) names the row and column the value belongs to:
 * a ciphertext copied into another tenant's row, or from `client_secret` into `token_cache`, no longer
 * decrypts. The AAD is not stored; the reader rebuilds it from where it read the value.
 */

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

declare const sealedBrand: unique symbol;
/** A value produced by {@link encryptSecret}. The store accepts only these, so a plaintext secret can't be
 * written by mistake: the compiler refuses a plain string. */
export type Sealed = string & { readonly [sealedBrand]: true };

const SEALED_PATTERN = /^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/;

/** True when `value` has the sealed format (it says nothing about which key sealed it). */
export function isSealed(value: string): value is Sealed {
  return SEALED_PATTERN.test(value);
}

export type CryptoErrorCode = 'SECRET_KEY_INVALID' | 'KEY_FILE_INSECURE' | 'KEY_FILE_UNREADABLE' | 'SECRET_UNREADABLE';

/** A failure the operator can act on; `code` is stable, the message says what to do. */
export class CryptoError extends Error {
  override readonly name = 'CryptoError';
  constructor(
    readonly code: CryptoErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** The AAD of a sealed value: which record (`scope`, e.g. a tenant id) and which field it belongs to. */
export function secretAad(scope: string, field: string): string {
  return `peoplebook:${scope}:${field}`;
}

export function encryptSecret(key: Uint8Array, plaintext: string, aad: string): Sealed {
  checkKey(key);
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return `${VERSION}.${iv.toString('base64url')}.${body.toString('base64url')}` as Sealed;
}

/**
 * Opens a value sealed by {@link encryptSecret} with the same key and AAD. Any mismatch — another key,
 * another row or field, a flipped bit — fails the GCM tag check and throws `SECRET_UNREADABLE`; the
 * message never contains the value.
 */
export function decryptSecret(key: Uint8Array, sealed: string, aad: string): string {
  checkKey(key);
  const parts = sealed.split('.');
  if (parts.length !== 3 || parts[0] !== VERSION || !isSealed(sealed)) {
    throw new CryptoError('SECRET_UNREADABLE', 'A stored secret is not in the v1 sealed format: the database was edited or is from another program.');
  }
  const iv = Buffer.from(parts[1]!, 'base64url');
  const body = Buffer.from(parts[2]!, 'base64url');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
    return Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  } catch {
    throw new CryptoError(
      'SECRET_UNREADABLE',
      'A stored secret could not be decrypted: PEOPLEBOOK_SECRET_KEY (or the key file) is not the key it was sealed with, or the value was altered or moved to another record. Restore the original key, or have the tenant admin authorize again.',
    );
  }
}

function checkKey(key: Uint8Array): void {
  if (key.length !== KEY_BYTES) throw new CryptoError('SECRET_KEY_INVALID', `The encryption key must be ${KEY_BYTES} bytes, got ${key.length}.`);
}

const HEX_KEY = /^[0-9a-fA-F]{64}$/;
const BASE64_KEY = /^[A-Za-z0-9+/_-]{43}={0,1}$/;

/**
 * Parses a 32-byte key written as hex (64 characters) or base64 / base64url (43 characters, or 44 with
 * `=`), e.g. the output of `openssl rand -base64 32` or `openssl rand -hex 32`. The message describes the
 * value's shape, never the value.
 */
export function parseSecretKey(text: string, origin = 'PEOPLEBOOK_SECRET_KEY'): Buffer {
  const value = text.trim();
  if (HEX_KEY.test(value)) return Buffer.from(value, 'hex');
  if (BASE64_KEY.test(value)) {
    const key = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
    if (key.length === KEY_BYTES) return key;
  }
  throw new CryptoError(
    'SECRET_KEY_INVALID',
    `${origin} must be ${KEY_BYTES} random bytes written as base64 (44 characters, e.g. \`openssl rand -base64 32\`) or hex (64 characters), got a value of ${value.length} characters`,
  );
}

export interface LoadKeyOptions {
  /** PEOPLEBOOK_SECRET_KEY; wins over the key file. */
  secretKey?: string | undefined;
  /** PEOPLEBOOK_KEY_FILE: read if it exists, created (mode 0600) if it doesn't. */
  keyFile: string;
}

export interface LoadedKey {
  key: Buffer;
  /** Where the key came from, for the start-up log and `doctor` (never the key itself). */
  source: 'env' | 'file' | 'created';
  keyFile?: string;
}

/**
 * The key that seals secrets: from PEOPLEBOOK_SECRET_KEY when set, otherwise from the key file, created
 * on first start. Creation is atomic and never overwrites: the key is written to a private temporary
 * file, then hard-linked to its name (`link` fails with EEXIST where `rename` would silently replace), so
 * two processes starting together end up with the same key. A key file readable by group or others is
 * refused, as OpenSSH refuses a private key with such modes: the key is worth as much as every secret.
 */
export async function loadOrCreateKey(options: LoadKeyOptions): Promise<LoadedKey> {
  if (options.secretKey !== undefined && options.secretKey.trim() !== '') {
    return { key: parseSecretKey(options.secretKey), source: 'env' };
  }
  const keyFile = path.resolve(options.keyFile);
  const existing = await readKeyFile(keyFile);
  if (existing) return { key: existing, source: 'file', keyFile };

  await mkdir(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const temp = `${keyFile}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const handle = await open(temp, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o600);
  try {
    // The umask can only remove bits from 0600, but say it explicitly in case the file system differs.
    await handle.chmod(0o600);
    await handle.writeFile(`${key.toString('base64')}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process created it first: use theirs.
    const theirs = await readKeyFile(keyFile);
    if (!theirs) throw error;
    return { key: theirs, source: 'file', keyFile };
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  return { key, source: 'created', keyFile };
}

async function readKeyFile(keyFile: string): Promise<Buffer | undefined> {
  let info;
  try {
    info = await stat(keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CryptoError('KEY_FILE_UNREADABLE', `Cannot read the key file ${keyFile}: ${(error as Error).message}`);
  }
  if (!info.isFile()) throw new CryptoError('KEY_FILE_UNREADABLE', `The key file ${keyFile} is not a regular file.`);
  // POSIX permission bits mean nothing on Windows, where Node reports 0666 for every writable file.
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    throw new CryptoError(
      'KEY_FILE_INSECURE',
      `The key file ${keyFile} can be read by other users (mode ${(info.mode & 0o777).toString(8).padStart(4, '0')}); run \`chmod 600 ${keyFile}\` and start again.`,
    );
  }
  let text: string;
  try {
    text = await readFile(keyFile, 'utf8');
  } catch (error) {
    throw new CryptoError('KEY_FILE_UNREADABLE', `Cannot read the key file ${keyFile}: ${(error as Error).message}`);
  }
  return parseSecretKey(text, `The key file ${keyFile}`);
}

/**
 * Field names whose values never reach a log: credentials of the proxy, of the tenant's app and of users.
 * The auth `code` is listed only where it appears (query/body), since `code` is also every error's code.
 */
export const REDACTED_FIELDS = [
  'authorization',
  'cookie',
  'set-cookie',
  'client_secret',
  'clientSecret',
  'refresh_token',
  'refreshToken',
  'access_token',
  'accessToken',
  'id_token',
  'idToken',
  'code_verifier',
  'codeVerifier',
  'password',
  'tokenCache',
  'token_cache',
  'secretKey',
  'assertion',
  'client_assertion',
] as const;

const REDACTED = new Set<string>(REDACTED_FIELDS.map((f) => f.toLowerCase()));
/** Query-string and form keys that carry a credential; `state` binds a login and is as good as one. */
const REDACTED_PARAMS = new Set(['code', 'state', 'code_verifier', 'client_secret', 'access_token', 'id_token', 'refresh_token', 'client_assertion']);
const CENSOR = '[redacted]';

/**
 * pino `redact` paths (https://getpino.io/#/docs/redaction): each field at the top level and one level
 * down (pino's `*` matches exactly one level), the request/response headers pino-http logs, and the auth
 * code in a parsed query or body. Use as `pino({ redact: { paths: REDACT_PATHS, censor: '[redacted]' } })`,
 * and log URLs through {@link scrubUrl}: a callback URL carries `?code=`.
 */
export const REDACT_PATHS: readonly string[] = [
  ...REDACTED_FIELDS.flatMap((field) =>
    /^[A-Za-z_$][\w$]*$/.test(field) ? [field, `*.${field}`] : [`["${field}"]`, `*["${field}"]`],
  ),
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'req.query.code',
  'req.body.code',
  'query.code',
  'body.code',
];

/**
 * A deep copy of `value` with every {@link REDACTED_FIELDS} key (any depth, any case) censored, for
 * payloads that don't go through pino's paths: error details, `doctor` output, a config dump.
 */
export function redact<T>(value: T): T {
  return redactValue(value, new WeakSet()) as T;
}

function redactValue(value: unknown, seen: WeakSet<object>): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (seen.has(value)) return '[circular]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((item) => redactValue(item, seen));
  if (value instanceof Date || Buffer.isBuffer(value) || value instanceof Uint8Array) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = REDACTED.has(key.toLowerCase()) ? CENSOR : redactValue(inner, seen);
  }
  return out;
}

/** A URL with credential-carrying query parameters censored (`/api/azure/callback?code=…&state=…`). */
export function scrubUrl(url: string): string {
  const query = url.indexOf('?');
  if (query === -1) return url;
  const hash = url.indexOf('#', query);
  const end = hash === -1 ? url.length : hash;
  const params = url
    .slice(query + 1, end)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      let decoded = name;
      try {
        decoded = decodeURIComponent(name.replace(/\+/g, ' '));
      } catch {
        // keep the raw name
      }
      return eq !== -1 && REDACTED_PARAMS.has(decoded.toLowerCase()) ? `${name}=${CENSOR}` : pair;
    });
  return `${url.slice(0, query)}?${params.join('&')}${url.slice(end)}`;
}
