import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CryptoError,
  REDACT_PATHS,
  decryptSecret,
  encryptSecret,
  isSealed,
  loadOrCreateKey,
  parseSecretKey,
  redact,
  scrubUrl,
  secretAad,
} from '../../proxy/src/crypto.ts';

const key = Buffer.alloc(32, 1);
const otherKey = Buffer.alloc(32, 2);
const TENANT_A = '11111111-1111-1111-1111-111111111111';
const TENANT_B = '22222222-2222-2222-2222-222222222222';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return (error as CryptoError).code;
  }
  return undefined;
}

describe('encryptSecret / decryptSecret', () => {
  const aad = secretAad(TENANT_A, 'clientSecret');

  it.each(['s3cr3t-value', '', 'ünïcödé ✓ 🔑', 'x'.repeat(100_000)])('round-trips %#', (plaintext) => {
    const sealed = encryptSecret(key, plaintext, aad);
    expect(isSealed(sealed)).toBe(true);
    expect(decryptSecret(key, sealed, aad)).toBe(plaintext);
  });

  it('produces the compact v1 format with a fresh IV each time', () => {
    const a = encryptSecret(key, 'same', aad);
    const b = encryptSecret(key, 'same', aad);
    expect(a).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(a).not.toBe(b);
    expect(a).not.toContain('same');
  });

  it('refuses a value with a flipped bit anywhere', () => {
    const sealed = encryptSecret(key, 'refresh-token-value', aad);
    const [version, iv, body] = sealed.split('.') as [string, string, string];
    const bytes = Buffer.from(body, 'base64url');
    for (const index of [0, bytes.length - 1]) {
      const tampered = Buffer.from(bytes);
      tampered[index] = tampered[index]! ^ 1;
      expect(codeOf(() => decryptSecret(key, `${version}.${iv}.${tampered.toString('base64url')}`, aad))).toBe('SECRET_UNREADABLE');
    }
    const ivBytes = Buffer.from(iv, 'base64url');
    ivBytes[0] = ivBytes[0]! ^ 1;
    expect(codeOf(() => decryptSecret(key, `${version}.${ivBytes.toString('base64url')}.${body}`, aad))).toBe('SECRET_UNREADABLE');
    expect(codeOf(() => decryptSecret(key, `v2.${iv}.${body}`, aad))).toBe('SECRET_UNREADABLE');
    expect(codeOf(() => decryptSecret(key, 'plaintext', aad))).toBe('SECRET_UNREADABLE');
  });

  it('refuses a value moved to another tenant or another field', () => {
    const sealed = encryptSecret(key, 'client-secret', aad);
    expect(codeOf(() => decryptSecret(key, sealed, secretAad(TENANT_B, 'clientSecret')))).toBe('SECRET_UNREADABLE');
    expect(codeOf(() => decryptSecret(key, sealed, secretAad(TENANT_A, 'tokenCache')))).toBe('SECRET_UNREADABLE');
  });

  it('refuses another key, without echoing the value', () => {
    const sealed = encryptSecret(key, 'client-secret', aad);
    try {
      decryptSecret(otherKey, sealed, aad);
      expect.unreachable();
    } catch (error) {
      expect((error as CryptoError).code).toBe('SECRET_UNREADABLE');
      expect((error as Error).message).toContain('PEOPLEBOOK_SECRET_KEY');
      expect((error as Error).message).not.toContain(sealed);
    }
  });

  it('insists on a 32-byte key', () => {
    expect(codeOf(() => encryptSecret(Buffer.alloc(16), 'x', aad))).toBe('SECRET_KEY_INVALID');
  });
});

describe('parseSecretKey', () => {
  const raw = Buffer.from(Array.from({ length: 32 }, (_, i) => i * 7 + 3));
  it.each([
    ['hex', raw.toString('hex')],
    ['HEX', raw.toString('hex').toUpperCase()],
    ['base64', raw.toString('base64')],
    ['base64 without padding', raw.toString('base64').replace(/=$/, '')],
    ['base64url', raw.toString('base64url')],
    ['with a trailing newline', `${raw.toString('base64')}\n`],
  ])('reads %s', (_label, text) => {
    expect(parseSecretKey(text).equals(raw)).toBe(true);
  });

  it.each(['', 'short', Buffer.alloc(16).toString('base64'), Buffer.alloc(33).toString('hex'), `${'g'.repeat(64)}`])('refuses %j', (text) => {
    expect(codeOf(() => parseSecretKey(text))).toBe('SECRET_KEY_INVALID');
  });
});

describe('loadOrCreateKey', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'peoplebook-key-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('creates the key file with mode 0600 (and its folder), then reuses it', async () => {
    const keyFile = path.join(dir, 'nested', 'secret.key');
    const first = await loadOrCreateKey({ keyFile });
    expect(first.source).toBe('created');
    expect(first.key).toHaveLength(32);
    expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
    const second = await loadOrCreateKey({ keyFile });
    expect(second.source).toBe('file');
    expect(second.key.equals(first.key)).toBe(true);
    // No temporary file left behind.
    expect(await readdir(path.join(dir, 'nested'))).toEqual(['secret.key']);
  });

  it('gives every process starting at once the same key', async () => {
    const keyFile = path.join(dir, 'secret.key');
    const keys = await Promise.all(Array.from({ length: 8 }, () => loadOrCreateKey({ keyFile })));
    expect(keys.filter((k) => k.source === 'created')).toHaveLength(1);
    for (const k of keys) expect(k.key.equals(keys[0]!.key)).toBe(true);
  });

  it('prefers PEOPLEBOOK_SECRET_KEY and leaves the file system alone', async () => {
    const keyFile = path.join(dir, 'secret.key');
    const loaded = await loadOrCreateKey({ secretKey: key.toString('hex'), keyFile });
    expect(loaded).toEqual({ key, source: 'env' });
    expect(await readdir(dir)).toEqual([]);
  });

  it.skipIf(process.platform === 'win32')('refuses a key file that group or others can read', async () => {
    const keyFile = path.join(dir, 'secret.key');
    await writeFile(keyFile, `${key.toString('base64')}\n`, { mode: 0o644 });
    await chmod(keyFile, 0o644);
    const error = await loadOrCreateKey({ keyFile }).catch((e: unknown) => e as CryptoError);
    expect(error).toBeInstanceOf(CryptoError);
    expect((error as CryptoError).code).toBe('KEY_FILE_INSECURE');
    expect((error as CryptoError).message).toContain(`chmod 600 ${keyFile}`);
    expect((error as CryptoError).message).not.toContain(key.toString('base64'));
  });

  it('refuses a key file that holds something other than a key', async () => {
    const keyFile = path.join(dir, 'secret.key');
    await writeFile(keyFile, 'hello\n', { mode: 0o600 });
    await expect(loadOrCreateKey({ keyFile })).rejects.toMatchObject({ code: 'SECRET_KEY_INVALID', message: expect.stringContaining(keyFile) });
  });

  it('writes the key as base64 text an operator can back up', async () => {
    const keyFile = path.join(dir, 'secret.key');
    const { key: created } = await loadOrCreateKey({ keyFile });
    expect(await readFile(keyFile, 'utf8')).toBe(`${created.toString('base64')}\n`);
  });
});

describe('redaction', () => {
  it('censors secret fields at any depth, in any case', () => {
    const input = {
      tenant: 't',
      clientSecret: 'cs',
      body: { client_secret: 'cs2', nested: [{ Refresh_Token: 'rt', ok: 1 }] },
      headers: { Authorization: 'Bearer x', accept: 'json' },
      error: { code: 'AADSTS7000222' },
    };
    expect(redact(input)).toEqual({
      tenant: 't',
      clientSecret: '[redacted]',
      body: { client_secret: '[redacted]', nested: [{ Refresh_Token: '[redacted]', ok: 1 }] },
      headers: { Authorization: '[redacted]', accept: 'json' },
      error: { code: 'AADSTS7000222' },
    });
    expect(input.clientSecret).toBe('cs');
  });

  it('scrubs credentials from URLs but keeps the rest', () => {
    expect(scrubUrl('/api/azure/callback?code=0.AXYZ&state=abc&session_state=s#frag')).toBe('/api/azure/callback?code=[redacted]&state=[redacted]&session_state=s#frag');
    expect(scrubUrl('/api/v1/directory/changes?since=10&limit=5')).toBe('/api/v1/directory/changes?since=10&limit=5');
    expect(scrubUrl('/x?access_token=abc')).toBe('/x?access_token=[redacted]');
  });

  it('gives pino paths that hide tokens and secrets but keep error codes', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString());
        done();
      },
    });
    const log = pino({ redact: { paths: [...REDACT_PATHS], censor: '[redacted]' } }, sink);
    log.info({
      req: { headers: { authorization: 'Bearer eyJ.secret.sig', cookie: 'c=1' }, query: { code: 'authcode123' } },
      tenant: { clientSecret: 'cs-value', tokenCache: '{"RefreshToken":{}}' },
      refresh_token: 'rt-value',
      err: { code: 'AADSTS50011' },
    });
    const text = lines.join('');
    for (const secret of ['eyJ.secret.sig', 'authcode123', 'cs-value', 'RefreshToken', 'rt-value', 'c=1']) expect(text).not.toContain(secret);
    expect(text).toContain('AADSTS50011');
  });
});
