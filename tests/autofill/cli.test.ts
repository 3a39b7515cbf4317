import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeHtml } from '../../shared/autofill/load-html.ts';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(repo, 'bin/peoplebook-autofill.js');
const fixture = (name: string): string => path.join(repo, 'tests/fixtures/forms', name);

/** Runs the real bin, as `npx peoplebook-autofill` does. */
const run = (args: string[], stdin?: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(stdin ?? '');
  });

interface Entry {
  id: string | null;
  name: string | null;
  field: string | null;
  detail: string | null;
  reason: string;
}

describe('peoplebook-autofill classify', () => {
  it('prints one JSON entry per control with id, name, field, detail and reason', async () => {
    const { code, stdout, stderr } = await run(['classify', fixture('en-crm-lead.html')]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const entries = JSON.parse(stdout) as Entry[];
    expect(entries).toHaveLength(readFileSync(fixture('en-crm-lead.html'), 'utf8').split('data-expect=').length - 1);
    for (const entry of entries) expect(Object.keys(entry)).toEqual(expect.arrayContaining(['id', 'name', 'field', 'detail', 'reason']));
    const byId = Object.fromEntries(entries.map((e) => [e.id ?? e.name, e]));
    expect(byId.first_name).toMatchObject({ name: 'first_name', field: 'given-name', detail: 'given-name', reason: 'label' });
    expect(byId.title).toMatchObject({ field: 'organization-title' });
    expect(byId.fax).toMatchObject({ field: null, detail: null });
    // Salutations are finer than the contract's list: field null, detail kept.
    expect(byId.salutation).toMatchObject({ field: null, detail: 'honorific-prefix' });
    expect(byId.owner).toMatchObject({ field: null, reason: 'excluded: readonly' });
    const allowed = [null, 'name', 'given-name', 'family-name', 'email', 'tel', 'organization', 'organization-title', 'department'];
    for (const entry of entries) expect(allowed).toContain(entry.field);
  });

  it('maps telephone parts to tel and keeps the part in detail', async () => {
    const { stdout } = await run(['classify', fixture('en-autocomplete-misleading.html')]);
    const byId = Object.fromEntries((JSON.parse(stdout) as Entry[]).map((e) => [e.id, e]));
    expect(byId.p4).toMatchObject({ field: 'tel', detail: 'tel-country-code', reason: 'autocomplete' });
    expect(byId.p5).toMatchObject({ field: 'tel', detail: 'tel-national' });
    expect(byId.p13).toMatchObject({ field: null, detail: 'additional-name' });
  });

  it('reads shadow roots and srcdoc frames of a saved page', async () => {
    const { stdout } = await run(['classify', fixture('en-web-components.html')]);
    const entries = JSON.parse(stdout) as (Entry & { section: string })[];
    expect(entries.find((e) => e.id === 'num')).toMatchObject({ field: 'tel', section: 'demo-booking-form#booking::shadow > x-phone-input:2::shadow' });
    expect(entries.find((e) => e.id === 'd')).toMatchObject({ field: 'department', section: 'iframe#embedded-crm > form#crm' });
    expect(entries.some((e) => e.name === 'closed-name')).toBe(false);
  });

  it('never runs the page’s scripts', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'autofill-cli-'));
    const file = path.join(dir, 'hostile.html');
    writeFileSync(
      file,
      `<!DOCTYPE html><body><form><label for="a">First name</label><input id="a"></form>
       <script>document.getElementById('a').setAttribute('autocomplete', 'cc-number'); require('fs').writeFileSync('${dir}/pwned', '1')</script>
       <img src="x" onerror="document.getElementById('a').disabled = true"></body>`,
    );
    const { code, stdout } = await run(['classify', file]);
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject([{ id: 'a', field: 'given-name', reason: 'label' }]);
    expect(existsSync(path.join(dir, 'pwned'))).toBe(false);
  });

  it('reads standard input for "-"', async () => {
    const { code, stdout } = await run(['classify', '-'], '<input id="m" placeholder="E-Mail">');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject([{ id: 'm', field: 'email', reason: 'placeholder' }]);
  });

  it('--help explains the command and exits 0', async () => {
    const { code, stdout } = await run(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: peoplebook-autofill classify FILE.html');
  });

  it.each([
    [['classify', '/nonexistent/page.html'], /\/nonexistent\/page\.html: no such file\. Pass the path of a saved HTML page/],
    [['classify', repo], /is a directory\. Pass the \.html file inside it/],
    [['classify'], /classify needs the path of a saved HTML page/],
    [['classify', 'a.html', 'b.html'], /classify takes one file/],
    [['lookup', 'x.html'], /unknown command "lookup"/],
    [[], /Usage: peoplebook-autofill classify FILE\.html/],
  ])('%j exits 2 and says what to do', async (args, message) => {
    const { code, stdout, stderr } = await run(args);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(message);
  });

  it('tells an MHTML archive apart from HTML', async () => {
    const { code, stderr } = await run(['classify', '-'], 'From: <Saved by Blink>\nMIME-Version: 1.0\n');
    expect(code).toBe(2);
    expect(stderr).toMatch(/MHTML archive.*"Webpage, HTML only"/);
  });
});

describe('decodeHtml', () => {
  const bytes = (...parts: (string | number[])[]): Uint8Array => Uint8Array.from(parts.flatMap((p) => (typeof p === 'string' ? [...Buffer.from(p, 'latin1')] : p)));
  it.each([
    ['UTF-8 by default', bytes('<p>', [0xc3, 0xa9], '</p>'), '<p>é</p>'],
    ['a UTF-8 byte-order mark', bytes([0xef, 0xbb, 0xbf], '<p>', [0xc3, 0xa9]), '<p>é'],
    ['<meta charset=windows-1252>', bytes('<meta charset="windows-1252"><p>Pr', [0xe9], 'nom'), '<meta charset="windows-1252"><p>Prénom'],
    ['http-equiv Content-Type', bytes('<META http-equiv="Content-Type" content="text/html; charset=iso-8859-1">', [0xc4]), '<META http-equiv="Content-Type" content="text/html; charset=iso-8859-1">Ä'],
    ['Shift_JIS', bytes('<meta charset="shift_jis">', [0x96, 0xbc]), '<meta charset="shift_jis">名'],
    ['an unknown label falls back to UTF-8', bytes('<meta charset="x-unknown">', [0xc3, 0xa9]), '<meta charset="x-unknown">é'],
  ])('%s', (_name, input, expected) => {
    expect(decodeHtml(input)).toBe(expected);
  });
});
