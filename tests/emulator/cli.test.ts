import { describe, expect, it } from 'vitest';
import { parseCli } from '../../emulator/src/cli.ts';

describe('CLI options', () => {
  it('parses the documented flags', () => {
    expect(parseCli(['--port', '8443', '--users', '500000', '--seed', '7', '--fault-rate', '0.2', '--fault-statuses', '429,503', '--no-throttling', '--spa-redirect-uri', 'https://abc.chromiumapp.org/'])).toMatchObject({
      port: 8443,
      users: 500_000,
      seed: 7,
      spaRedirectUris: ['https://abc.chromiumapp.org/'],
      graph: { faultRate: 0.2, faultStatuses: [429, 503], throttling: false },
    });
    expect(parseCli(['--help'])).toBe('help');
  });
});
