import path from 'node:path';
import { loadTlsMaterial } from '../emulator/src/tls.ts';

/**
 * Runs once before the test workers start: makes sure the emulator's CA exists and tells every worker
 * process to trust it. NODE_EXTRA_CA_CERTS is read only when a Node process starts, so it has to be set
 * here, before vitest forks the workers, and not inside a test.
 */
export default async function setup(): Promise<void> {
  const dir = process.env.PEOPLEBOOK_EMULATOR_DIR ?? path.resolve('.peoplebook/test-emulator');
  process.env.PEOPLEBOOK_EMULATOR_DIR = dir;
  const tls = await loadTlsMaterial(dir);
  process.env.NODE_EXTRA_CA_CERTS = tls.caCertPath;
}
