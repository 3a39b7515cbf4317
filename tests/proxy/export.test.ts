/**
 * `peoplebook-proxy export` as a user runs it (a child process on the proxy's database): vCard 4.0 that
 * follows RFC 6350's syntax (CRLF, lines folded at 75 octets, text escaping), one card per mirrored
 * user, and a JSON array equal to the mirror.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import type { Contact } from '../../shared/contact.ts';
import { displayNameOf } from '../../shared/display-name.ts';
import { startTestEmulator } from '../helpers/emulator.ts';
import { emulatorEnv, envTenant, startTestProxy, type TestProxy } from '../helpers/proxy.ts';
import { directoryOf, expectMirrorEqualsDirectory } from './mirror-helpers.ts';

const CLI = path.resolve('bin/peoplebook-proxy.js');

let emulator: Emulator;
let proxy: TestProxy;
let mirror: Map<string, Contact>;
const tricky: Record<string, string> = {};

beforeAll(async () => {
  emulator = await startTestEmulator({ users: 400, adminConsent: true });
  const directory = directoryOf(emulator);
  // Text that needs RFC 6350 escaping or folding, added before the first sync.
  tricky.comma = directory.add({
    displayName: 'Doe, Jane; "JJ" \\ Backslash',
    givenName: 'Jane; J.',
    surname: 'Doe, Jr.',
    jobTitle: 'Head of Sales, EMEA; interim\nsecond line',
    companyName: 'Acme; Inc.',
    department: 'Sales, North',
    mail: 'jane.doe@lakeside.example',
  }).id;
  tricky.long = directory.add({
    displayName: '王小明・アレクサンドル・ヴィクトロヴィチ・ペトロフスキー＝ドストエフスキー 👩‍💻👨‍👩‍👧‍👦',
    jobTitle: 'Ingénieur principal chargé de la coordination des systèmes d’information géographique et de la télédétection',
    businessPhones: ['+1 (425) 555-0100 ext. 42'],
    mobilePhone: '030 1234567',
  }).id;
  tricky.markup = directory.add({ displayName: '<script>alert(1)</script>', jobTitle: null, department: null }).id;
  proxy = await startTestProxy(emulator, envTenant(emulator), { tickMs: 3_600_000 });
  expect(await proxy.proxy.scheduler.runNow(emulator.tenantId)).toMatchObject({ outcome: 'ok' });
  mirror = await expectMirrorEqualsDirectory(proxy.proxy.store, emulator);
});

afterAll(async () => {
  await proxy?.close();
  await emulator?.close();
});

async function runExport(format: 'vcf' | 'json'): Promise<string> {
  const out = path.join(proxy.dir, `export.${format}`);
  const env = { PATH: process.env.PATH, HOME: process.env.HOME, NODE_EXTRA_CA_CERTS: process.env.NODE_EXTRA_CA_CERTS, ...emulatorEnv(emulator, proxy.dir, 0), PORT: '8787', ...envTenant(emulator) };
  const child = spawn(process.execPath, [CLI, 'export', '--format', format, '--out', out], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect({ code, stderr }).toEqual({ code: 0, stderr: `exported ${mirror.size} contacts of tenant ${emulator.tenantId} as ${format}\n` });
  return readFile(out, 'utf8');
}

/** A content line (RFC 6350 §3.3): `[group.]name *(";" param) ":" value`. */
interface ContentLine {
  name: string;
  params: string[];
  value: string;
}

/** Splits on `separator` where it is not escaped with a backslash. */
function splitUnescaped(value: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      current += c + value[i + 1];
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

/** RFC 6350 §3.4 text unescaping; throws on an escape the RFC doesn't define. */
function unescapeText(value: string): string {
  return value.replace(/\\(.)/gs, (_, c: string) => {
    if (c === 'n' || c === 'N') return '\n';
    if (c === '\\' || c === ',' || c === ';') return c;
    throw new Error(`undefined escape \\${c} in ${JSON.stringify(value)}`);
  });
}

function parseCards(file: string): ContentLine[][] {
  // §3.2: lines end with CRLF; a line starting with a space or tab continues the previous one.
  const unfolded = file.replace(/\r\n[ \t]/g, '');
  const lines = unfolded.split('\r\n');
  expect(lines.pop()).toBe('');
  const cards: ContentLine[][] = [];
  let card: ContentLine[] | undefined;
  for (const line of lines) {
    const match = /^(?:[A-Za-z0-9-]+\.)?([A-Za-z0-9-]+)((?:;[^:;]+)*):(.*)$/s.exec(line);
    expect(match, `not a content line: ${JSON.stringify(line)}`).not.toBeNull();
    const parsed: ContentLine = { name: match![1]!.toUpperCase(), params: match![2]!.split(';').filter(Boolean), value: match![3]! };
    if (parsed.name === 'BEGIN') {
      expect(card, 'BEGIN inside a card').toBeUndefined();
      expect(parsed.value.toUpperCase()).toBe('VCARD');
      card = [parsed];
    } else {
      expect(card, `${parsed.name} outside a card`).toBeDefined();
      card!.push(parsed);
      if (parsed.name === 'END') {
        expect(parsed.value.toUpperCase()).toBe('VCARD');
        cards.push(card!);
        card = undefined;
      }
    }
  }
  expect(card, 'the last card has no END').toBeUndefined();
  return cards;
}

describe('export --format vcf', () => {
  let file: string;
  let cards: ContentLine[][];
  beforeAll(async () => {
    file = await runExport('vcf');
    cards = parseCards(file);
  }, 30_000);

  it('uses CRLF line endings only and folds every line at 75 octets', () => {
    expect(file.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
    for (const line of file.split('\r\n')) expect(Buffer.byteLength(line, 'utf8'), line).toBeLessThanOrEqual(75);
    // Folding never splits a UTF-8 sequence: every physical line is valid UTF-8 on its own.
    for (const line of file.split('\r\n')) expect(Buffer.from(Buffer.from(line, 'utf8').toString('utf8'), 'utf8').toString('utf8')).toBe(line);
    expect(file.split('\r\n').some((line) => line.startsWith(' '))).toBe(true);
  });

  it('writes one vCard 4.0 per mirrored user: BEGIN, VERSION:4.0 next, exactly one FN, END', () => {
    expect(cards).toHaveLength(mirror.size);
    const uids = new Set<string>();
    for (const card of cards) {
      expect(card[0]!.name).toBe('BEGIN');
      expect(card[1]).toEqual({ name: 'VERSION', params: [], value: '4.0' });
      expect(card.at(-1)!.name).toBe('END');
      expect(card.filter((l) => l.name === 'FN')).toHaveLength(1);
      const uid = card.find((l) => l.name === 'UID')?.value;
      expect(uid).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
      uids.add(uid!.slice('urn:uuid:'.length));
    }
    expect([...uids].sort()).toEqual([...mirror.keys()].sort());
  });

  it('escapes commas, semicolons, backslashes and newlines in text values, and they read back exact', () => {
    const byId = new Map(cards.map((card) => [card.find((l) => l.name === 'UID')!.value.slice('urn:uuid:'.length), card]));
    for (const [id, card] of byId) {
      const contact = mirror.get(id)!;
      const fn = card.find((l) => l.name === 'FN')!.value;
      // Single-value text: no unescaped comma or semicolon may remain (§3.4).
      expect(splitUnescaped(fn, ',')).toHaveLength(1);
      expect(splitUnescaped(fn, ';')).toHaveLength(1);
      expect(unescapeText(fn)).toBe(displayNameOf(contact));
      const n = card.find((l) => l.name === 'N');
      if (n) expect(splitUnescaped(n.value, ';').slice(0, 2).map(unescapeText)).toEqual([contact.surname ?? '', contact.givenName ?? '']);
      const title = card.find((l) => l.name === 'TITLE');
      expect(title ? unescapeText(title.value) : null).toBe(contact.jobTitle || null);
    }
    const jane = byId.get(tricky.comma!)!;
    expect(jane.find((l) => l.name === 'FN')!.value).toBe('Doe\\, Jane\\; "JJ" \\\\ Backslash');
    expect(jane.find((l) => l.name === 'TITLE')!.value).toBe('Head of Sales\\, EMEA\\; interim\\nsecond line');
    expect(splitUnescaped(jane.find((l) => l.name === 'ORG')!.value, ';').map(unescapeText)).toEqual(['Acme; Inc.', 'Sales, North']);
    expect(unescapeText(byId.get(tricky.long!)!.find((l) => l.name === 'FN')!.value)).toBe(mirror.get(tricky.long!)!.displayName);
    expect(unescapeText(byId.get(tricky.markup!)!.find((l) => l.name === 'FN')!.value)).toBe('<script>alert(1)</script>');
  });
});

describe('export --format json', () => {
  it('writes a JSON array equal to the mirror (store.listUsers)', async () => {
    const exported = JSON.parse(await runExport('json')) as Contact[];
    const listed: Contact[] = [];
    for await (const contact of proxy.proxy.store.listUsers(emulator.tenantId)) listed.push(contact);
    expect(exported).toEqual(listed);
    expect(exported).toHaveLength(mirror.size);
  }, 30_000);
});
