#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, so the bins need no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../emulator/src/cli.ts');
await main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`peoplebook-emulator: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
