import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { classifyControls, compilePatterns } from '../shared/autofill/index.ts';
import { decodeHtml, loadHtml } from '../shared/autofill/load-html.ts';
import { fixtureFiles, FIXTURE_DIR } from '../tests/autofill/fixture-forms.ts';
import type { Bench, BenchResult } from './types.ts';

/**
 * The autofill classifier (issue 5, "Measured"): precision and recall on the fixture forms, and the time
 * to classify a form of 500 controls in happy-dom.
 * Run alone with `npx tsx bench/autofill.bench.ts`, or through `npm run bench autofill`.
 *
 * Precision and recall are micro-averaged over the fine-grained fields (shared/autofill/contact-field.ts):
 * a control whose truth is `none` and that got a field is a false positive; a control whose truth is a
 * field and that got another field or none is a false negative (and, with another field, also a false
 * positive). The fixtures are the classifier's development set: read the figures as "how much of what
 * it was written for it gets right", not as accuracy on unseen sites.
 *
 * The same classifier, bundled as the content script would bundle it, also runs in headless Chromium
 * (Debian's package, as the browser tests use): its time on the 500-control form, and whether it agrees
 * with happy-dom on every fixture control. Skipped, with a note, where Chromium is missing.
 */

const RUNS = 200;
const CONTROLS = 500;

/** A long form made of the patterns real forms use, in several languages, 500 controls in all. */
export function generateForm(controls = CONTROLS): string {
  const templates: ((i: number) => string)[] = [
    (i) => `<div class="row"><label for="f${i}">First name</label><input id="f${i}" name="first_name_${i}"></div>`,
    (i) => `<div class="row"><label for="f${i}">Nachname</label><input id="f${i}" name="nachname_${i}"></div>`,
    (i) => `<label>Email address <input type="email" name="email_${i}"></label>`,
    (i) => `<input name="phone_${i}" placeholder="Téléphone portable">`,
    (i) => `<div class="f"><div class="l">Company</div><div class="c"><input name="c_${i}"></div></div>`,
    (i) => `<span id="l${i}">Job title</span><input aria-labelledby="l${i}" name="x_${i}">`,
    (i) => `<label for="f${i}">Title</label><select id="f${i}"><option>Mr</option><option>Ms</option><option>Dr</option></select>`,
    (i) => `<table><tr><th>部署名</th><td><input name="busho_${i}"></td></tr></table>`,
    (i) => `<input name="q_${i}" aria-label="Quantity">`,
    (i) => `<label for="f${i}">Card number</label><input id="f${i}" autocomplete="cc-number">`,
    (i) => `<input type="hidden" name="token_${i}" value="x">`,
    (i) => `<label for="f${i}">Comments</label><textarea id="f${i}"></textarea>`,
    (i) => `<input name="field_${i}" autocomplete="organization-title">`,
    (i) => `<p>Street <input name="street_${i}"></p>`,
    (i) => `<label><input type="checkbox" name="opt_${i}"> Keep me informed</label>`,
    (i) => `<input id="f${i}" name="ctl00$Main$txtEmpNo${i}">`,
  ];
  const parts: string[] = [];
  for (let i = 0; i < controls; i++) parts.push(templates[i % templates.length]!(i));
  return `<!DOCTYPE html><html lang="en"><body><form id="big">${parts.join('\n')}</form></body></html>`;
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

const bench: Bench = async () => {
  const results: BenchResult[] = [];

  // 1. Precision and recall over every fixture.
  let tp = 0;
  let fp = 0;
  let fn = 0;
  let exact = 0;
  let total = 0;
  let filledNone = 0;
  for (const file of fixtureFiles()) {
    const page = loadHtml(decodeHtml(readFileSync(path.join(FIXTURE_DIR, file))));
    for (const { element, field } of classifyControls(page.document)) {
      const expected = element.getAttribute('data-expect');
      if (expected === null) throw new Error(`${file}: a control without data-expect`);
      const actual = field ?? 'none';
      total++;
      if (actual === expected) exact++;
      if (actual !== 'none' && actual === expected) tp++;
      if (actual !== 'none' && actual !== expected) fp++;
      if (expected !== 'none' && actual !== expected) fn++;
      if (expected === 'none' && actual !== 'none') filledNone++;
    }
    await page.close();
  }
  results.push(
    { name: `precision over ${total} fixture controls (${fixtureFiles().length} forms)`, value: tp / (tp + fp), unit: 'ratio', note: 'micro-averaged, fine-grained fields' },
    { name: 'recall over the fixture controls', value: tp / (tp + fn), unit: 'ratio' },
    { name: 'controls classified exactly (field or none)', value: exact / total, unit: 'ratio' },
    { name: 'fields proposed for controls to leave alone', value: filledNone, unit: 'controls', target: { op: '<=', value: 0 } },
  );

  // 2. A 500-control form.
  const page = loadHtml(generateForm());
  const started = performance.now();
  compilePatterns();
  results.push({ name: 'compile the pattern tables (once per page)', value: performance.now() - started, unit: 'ms' });
  const first = performance.now();
  const count = classifyControls(page.document).length;
  if (count !== CONTROLS) throw new Error(`classified ${count} controls, expected ${CONTROLS}`);
  results.push({ name: `first classification of ${CONTROLS} controls (cold JIT)`, value: performance.now() - first, unit: 'ms' });
  const times: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const t = performance.now();
    classifyControls(page.document);
    times.push(performance.now() - t);
  }
  times.sort((a, b) => a - b);
  results.push(
    { name: `classify ${CONTROLS} controls in happy-dom, p50 of ${RUNS}`, value: percentile(times, 50), unit: 'ms' },
    { name: `classify ${CONTROLS} controls in happy-dom, p95 of ${RUNS}`, value: percentile(times, 95), unit: 'ms', target: { op: '<=', value: 16 }, note: 'one frame' },
  );
  await page.close();

  results.push(...(await inChromium()));
  return results;
};

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** The classifier as one minified script (`window.PeoplebookAutofill`), as a bundler would ship it. */
async function bundleClassifier(): Promise<string> {
  // esbuild comes with tsx and WXT's Vite; the bench only needs its build API.
  const { build } = await import('esbuild');
  const out = await build({
    entryPoints: [path.join(path.dirname(fileURLToPath(import.meta.url)), '../shared/autofill/index.ts')],
    bundle: true,
    minify: true,
    format: 'iife',
    globalName: 'PeoplebookAutofill',
    target: 'chrome120',
    write: false,
  });
  return out.outputFiles[0]!.text;
}

async function inChromium(): Promise<BenchResult[]> {
  const script = await bundleClassifier();
  const results: BenchResult[] = [
    { name: 'classifier bundle, minified + gzipped', value: gzipSync(script).length / 1024, unit: 'KiB', note: 'part of the content script (≤ 30 KB in all)' },
  ];
  if (!existsSync(CHROMIUM)) return [...results, { name: 'Chromium runs skipped', value: 0, unit: '', note: `no browser at ${CHROMIUM}` }];
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
  try {
    const page = await browser.newPage();
    await page.setContent(generateForm());
    await page.addScriptTag({ content: script });
    const times = await page.evaluate((runs) => {
      const { classifyControls } = (window as unknown as { PeoplebookAutofill: typeof import('../shared/autofill/index.ts') }).PeoplebookAutofill;
      for (let i = 0; i < 20; i++) classifyControls(document);
      const out: number[] = [];
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        classifyControls(document);
        out.push(performance.now() - t);
      }
      return out.sort((a, b) => a - b);
    }, RUNS);
    results.push(
      { name: `classify ${CONTROLS} controls in Chromium, p50 of ${RUNS}`, value: percentile(times, 50), unit: 'ms' },
      { name: `classify ${CONTROLS} controls in Chromium, p95 of ${RUNS}`, value: percentile(times, 95), unit: 'ms', target: { op: '<=', value: 16 }, note: 'one frame' },
    );

    // Every fixture, opened as a file (the browser parses declarative shadow DOM and srcdoc itself).
    let agree = 0;
    let total = 0;
    const disagreements: string[] = [];
    for (const file of fixtureFiles()) {
      await page.goto(pathToFileURL(path.join(FIXTURE_DIR, file)).href);
      await page.addScriptTag({ content: script });
      const rows = await page.evaluate(() => {
        const { classifyControls } = (window as unknown as { PeoplebookAutofill: typeof import('../shared/autofill/index.ts') }).PeoplebookAutofill;
        return classifyControls(document).map((r) => ({ expected: r.element.getAttribute('data-expect'), actual: r.field ?? 'none', id: r.element.id || r.element.getAttribute('name') }));
      });
      for (const row of rows) {
        total++;
        if (row.expected === row.actual) agree++;
        else disagreements.push(`${file} ${row.id}: ${row.actual}`);
      }
    }
    results.push({
      name: `fixture controls classified as annotated, in Chromium (${total} found)`,
      value: agree / total,
      unit: 'ratio',
      note: disagreements.length ? disagreements.slice(0, 3).join('; ') : 'same as happy-dom',
    });
  } finally {
    await browser.close();
  }
  return results;
}

export default bench;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const r of await bench()) console.log(`${r.name}: ${r.value.toFixed(3)} ${r.unit}`);
}
