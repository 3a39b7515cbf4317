#!/usr/bin/env node
// `npx peoplebook-autofill classify FILE.html`: runs the TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../shared/autofill/cli.ts');
await main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error) => {
    process.stderr.write(`peoplebook-autofill: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
