import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '../proxy/src/config.ts';

/** README is the operator's manual: it must keep up with the code it documents. */
describe('README', () => {
  it.each(CONFIG_VARIABLES.map((v) => [v.name, v.default] as const))('documents %s with its default', async (name, fallback) => {
    const readme = await readFile('README.md', 'utf8');
    const row = readme.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    expect(row, `README's configuration table has no row for ${name}`).toBeDefined();
    if (fallback !== undefined && fallback !== '') expect(row).toContain(`\`${fallback}\``);
  });

  it('gives the two commands and every bin', async () => {
    const readme = await readFile('README.md', 'utf8');
    const pkg = JSON.parse(await readFile('package.json', 'utf8')) as { bin: Record<string, string> };
    expect(readme).toContain('npm install && npm start');
    expect(readme).toContain('npm test');
    for (const bin of Object.keys(pkg.bin)) expect(readme).toContain(`npx ${bin}`);
  });
});
