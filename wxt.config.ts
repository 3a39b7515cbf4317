import { defineConfig } from 'wxt';

// The extension lives in extension/ (entrypoints/ only wires; logic lives in modules beside it).
export default defineConfig({
  srcDir: 'extension',
  outDir: '.output',
  manifest: {
    name: 'Peoplebook',
    description: 'Find any colleague in your company directory, even offline.',
  },
});
