import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { classifyControls, type ClassifiedControl } from '../../shared/autofill/index.ts';
import { decodeHtml, loadHtml } from '../../shared/autofill/load-html.ts';

/** tests/fixtures/forms: saved-page-like forms whose controls carry their truth in data-expect. */
export const FIXTURE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/forms');

export const fixtureFiles = (): string[] =>
  readdirSync(FIXTURE_DIR)
    .filter((f) => f.endsWith('.html'))
    .sort();

export interface FixtureRow {
  file: string;
  /** "id", "name" or the control's tag and position, to name it in a failure. */
  control: string;
  expected: string;
  actual: string;
  result: ClassifiedControl;
}

export interface ClassifiedFixture {
  rows: FixtureRow[];
  /** How many `data-expect=` the raw file holds (srcdoc frames included): every one must be classified. */
  annotations: number;
}

/** Loads a fixture with the CLI's loader (happy-dom, scripts off, declarative shadow roots attached). */
export async function classifyFixture(file: string): Promise<ClassifiedFixture> {
  const bytes = readFileSync(path.join(FIXTURE_DIR, file));
  const html = decodeHtml(bytes);
  const page = loadHtml(html);
  try {
    const results = classifyControls(page.document);
    const rows = results.map((result, i) => {
      const el = result.element;
      return {
        file,
        control: el.getAttribute('id') ? `#${el.getAttribute('id')}` : el.getAttribute('name') ? `[name=${el.getAttribute('name')}]` : `${el.localName}:${i}`,
        expected: el.getAttribute('data-expect') ?? '(no data-expect)',
        actual: result.field ?? 'none',
        result,
      };
    });
    return { rows, annotations: html.split('data-expect=').length - 1 };
  } finally {
    await page.close();
  }
}
