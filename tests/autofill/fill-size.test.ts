import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { bundleContentScript } from '../browser/autofill-harness.ts';

/**
 * The content script's budget (design.md: ≤ 30 KB minified + gzipped, the classifier included), checked
 * on every run; bench/content-script.bench.ts reports the figure.
 */
describe('content script bundle', async () => {
  const script = await bundleContentScript({ minify: true });

  it('is at most 30 KB minified and gzipped', () => {
    expect(gzipSync(script, { level: 9 }).length).toBeLessThanOrEqual(30 * 1024);
  });

  it('does not bundle zod (the background validates; the content script checks answers by hand)', () => {
    expect(script).not.toMatch(/ZodError|\$ZodType|zod/i);
  });

  it('never parses HTML', () => {
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|createContextualFragment|DOMParser|document\.write/);
  });
});
