#!/usr/bin/env node
// Runs the proxy's TypeScript sources through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../proxy/src/cli.ts');
await main(process.argv.slice(2)).catch((error) => {
  process.stderr.write(`peoplebook-proxy: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
