import { parseArgs } from 'node:util';
import { startEmulator, type EmulatorOptions } from './server.ts';

const HELP = `peoplebook-emulator: a local stand-in for the Microsoft identity platform and Microsoft Graph's users API.

Usage: peoplebook-emulator [options]

  --port P               TCP port (default 0: a free one)
  --users N              users in the primary tenant, 3 to 500000 (default 1000)
  --secondary-users N    users in the secondary tenant (default 25)
  --seed S               seed of the generated directory, IDs and secrets (default 1)
  --admin-consent        grant admin consent to the Peoplebook apps at start
  --web-redirect-uri U   also register U as a Web redirect URI (repeatable)
  --spa-redirect-uri U   also register U as a single-page-app redirect URI (repeatable)
  --password P           password of every seeded user
  --state-dir D          folder of the CA and server certificate (default ~/.peoplebook/emulator,
                         or PEOPLEBOOK_EMULATOR_DIR)
  --fault-rate R         fail this fraction (0 to 1) of Graph requests
  --fault-statuses L     statuses to fail with, comma separated (default 429,500,502,503,504)
  --latency MS           add MS milliseconds to every Graph response
  --no-throttling        disable Graph's resource-unit throttling
  -h, --help             show this help

Once listening it prints one JSON line: url, graphUrl, controlUrl, tenantId, tenantDomain, clientId,
clientSecret, caCertPath, spki and more. Trust the CA with NODE_EXTRA_CA_CERTS=<caCertPath> (Node) or
--ignore-certificate-errors-spki-list=<spki> (Chromium).`;

function fail(message: string): never {
  process.stderr.write(`peoplebook-emulator: ${message}\nRun peoplebook-emulator --help for the options.\n`);
  process.exit(2);
}

function wholeNumber(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) fail(`--${name} takes a whole number from ${min} to ${max}, not "${value}"`);
  return n;
}

export function parseCli(argv: string[]): EmulatorOptions | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      strict: true,
      options: {
        port: { type: 'string' },
        users: { type: 'string' },
        'secondary-users': { type: 'string' },
        seed: { type: 'string' },
        'admin-consent': { type: 'boolean' },
        'web-redirect-uri': { type: 'string', multiple: true },
        'spa-redirect-uri': { type: 'string', multiple: true },
        password: { type: 'string' },
        'state-dir': { type: 'string' },
        'fault-rate': { type: 'string' },
        'fault-statuses': { type: 'string' },
        latency: { type: 'string' },
        'no-throttling': { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    fail((error as Error).message);
  }
  if (values.help) return 'help';
  const faultRate = values['fault-rate'] === undefined ? undefined : Number(values['fault-rate']);
  if (faultRate !== undefined && !(faultRate >= 0 && faultRate <= 1)) fail(`--fault-rate takes a number from 0 to 1, not "${values['fault-rate']}"`);
  const faultStatuses = values['fault-statuses']?.split(',').map((s) => Number(s.trim()));
  if (faultStatuses?.some((s) => ![429, 500, 502, 503, 504].includes(s))) fail('--fault-statuses takes a comma-separated list of 429, 500, 502, 503, 504');
  for (const uri of [...(values['web-redirect-uri'] ?? []), ...(values['spa-redirect-uri'] ?? [])]) {
    if (!URL.canParse(uri)) fail(`redirect URI "${uri}" is not an absolute URL`);
  }
  return {
    port: wholeNumber('port', values.port, 0, 65535),
    users: wholeNumber('users', values.users, 3, 500_000),
    secondaryUsers: wholeNumber('secondary-users', values['secondary-users'], 3, 500_000),
    seed: wholeNumber('seed', values.seed, 0, 2 ** 31 - 1),
    adminConsent: values['admin-consent'] ?? false,
    webRedirectUris: values['web-redirect-uri'],
    spaRedirectUris: values['spa-redirect-uri'],
    password: values.password,
    stateDir: values['state-dir'],
    graph: {
      faultRate,
      faultStatuses,
      latencyMs: wholeNumber('latency', values.latency, 0, 60_000),
      throttling: values['no-throttling'] ? false : undefined,
    },
  };
}

export async function main(argv: string[]): Promise<void> {
  const options = parseCli(argv);
  if (options === 'help') {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const emulator = await startEmulator(options);
  process.stdout.write(`${JSON.stringify(emulator.ready)}\n`);
  const stop = () => {
    void emulator.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}
