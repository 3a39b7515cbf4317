import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ROW_HEIGHT } from '../../extension/lib/ui/popup.ts';

const read = (path: string) => readFileSync(new URL(`../../${path}`, import.meta.url), 'utf8');
const theme = read('extension/assets/theme.css');

/** The custom properties of the first `:root { … }` after `from` in `css`. */
function variables(css: string, from = 0): Record<string, string> {
  const start = css.indexOf(':root', from);
  const body = css.slice(css.indexOf('{', start) + 1, css.indexOf('}', start));
  return Object.fromEntries([...body.matchAll(/--([\w-]+):\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]));
}

/** WCAG 2.2 relative luminance and contrast ratio (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio). */
function luminance(hex: string): number {
  const match = /^#([0-9a-f]{6})$/i.exec(hex);
  if (!match) throw new Error(`not a #rrggbb colour: ${hex}`);
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(match[1]!.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Text colour on background colour, as the stylesheets pair them. */
const PAIRS: [string, string][] = [
  ['fg', 'bg'],
  ['fg', 'surface'],
  ['muted', 'bg'],
  ['muted', 'surface'],
  ['accent', 'bg'],
  ['accent', 'surface'],
  ['accent-fg', 'accent'],
  ['fg', 'row-active'],
  ['muted', 'row-active'],
  ['error', 'bg'],
  ['error', 'surface'],
  ['ok', 'bg'],
  ['ok', 'surface'],
  ['warning-fg', 'warning-bg'],
  ['bg', 'fg'], // the toast
];

describe('theme', () => {
  const light = variables(theme);
  const darkAt = theme.indexOf('@media (prefers-color-scheme: dark)');
  const dark = variables(theme, darkAt);

  it('has a dark scheme that follows the system and redefines every colour', () => {
    expect(darkAt).toBeGreaterThan(0);
    expect(theme).toMatch(/color-scheme:\s*light dark/);
    const colours = Object.keys(light).filter((name) => light[name]!.startsWith('#'));
    expect(colours.length).toBeGreaterThan(10);
    expect(Object.keys(dark).sort()).toEqual(colours.sort());
  });

  it.each(PAIRS)('--%s on --%s has contrast ≥ 4.5:1 in both schemes', (text, background) => {
    for (const [scheme, vars] of [['light', light], ['dark', dark]] as const) {
      const ratio = contrast(vars[text]!, vars[background]!);
      expect(ratio, `${scheme}: ${vars[text]} on ${vars[background]} is ${ratio.toFixed(2)}:1`).toBeGreaterThanOrEqual(4.5);
    }
  });

  it('input borders stand out from the background (≥ 3:1, WCAG 1.4.11)', () => {
    for (const vars of [light, dark]) expect(contrast(vars.border!, vars.bg!)).toBeGreaterThanOrEqual(3);
  });

  it('shows keyboard focus', () => {
    expect(theme).toMatch(/:focus-visible\s*\{[^}]*outline:\s*2px solid var\(--focus\)/);
    for (const vars of [light, dark]) expect(contrast(vars.focus!, vars.bg!)).toBeGreaterThanOrEqual(3);
  });

  it('is loaded by the popup and the options page', () => {
    for (const page of ['popup', 'options']) expect(read(`extension/entrypoints/${page}/main.ts`)).toMatch(/import '..\/..\/assets\/theme\.css';/);
  });

  it('gives popup rows the height the virtual list positions them by', () => {
    expect(read('extension/entrypoints/popup/style.css')).toContain(`--row-height: ${ROW_HEIGHT}px;`);
  });

  it.each(['popup', 'options'])('%s page: a language, a title, and no inline script', (page) => {
    const html = read(`extension/entrypoints/${page}/index.html`);
    expect(html).toMatch(/<html lang="en">/);
    expect(html).toMatch(/<title>[^<]+<\/title>/);
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
  });
});
