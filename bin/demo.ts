import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { ReadyInfo } from '../emulator/src/server.ts';
import { EXTENSION_ID } from '../wxt.config.ts';

/**
 * `npm start`: the demo on the embedded default. Builds the extension, starts the tenant emulator (a
 * seeded tenant standing in for Microsoft's cloud) and the proxy on SQLite pointed at it, as separate
 * processes, the way they run in production; then prints what to open and how to load the extension.
 */
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const users = process.env.PEOPLEBOOK_DEMO_USERS ?? '5000';
const emulatorPort = process.env.PEOPLEBOOK_EMULATOR_PORT ?? '8443';
const proxyPort = process.env.PORT ?? '8787';
const dataDir = path.join(root, '.peoplebook', 'demo');
await mkdir(dataDir, { recursive: true });

// The extension first: its build is what the employee loads.
if (process.env.PEOPLEBOOK_DEMO_SKIP_BUILD !== '1') {
  process.stdout.write('Building the extension (wxt build)…\n');
  const build = spawn(process.execPath, [path.join(root, 'node_modules/wxt/bin/wxt.mjs'), 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  const [code] = (await once(build, 'exit')) as [number | null];
  if (code !== 0) {
    process.stderr.write('The extension build failed (see above); fix it or set PEOPLEBOOK_DEMO_SKIP_BUILD=1 to start without it.\n');
    process.exit(1);
  }
}
const extensionDir = path.join(root, '.output', 'chrome-mv3');
const spaRedirectUri = `https://${EXTENSION_ID}.chromiumapp.org/`;

const children: ChildProcess[] = [];
const stop = () => {
  for (const child of children) child.kill('SIGTERM');
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);

const emulator = spawn(process.execPath, [path.join(root, 'bin/peoplebook-emulator.js'), '--port', emulatorPort, '--users', users, '--admin-consent', '--spa-redirect-uri', spaRedirectUri], {
  stdio: ['ignore', 'pipe', 'inherit'],
});
children.push(emulator);
const lines = createInterface({ input: emulator.stdout! });
const [firstLine] = (await Promise.race([once(lines, 'line'), once(emulator, 'exit').then(() => [undefined])])) as [string | undefined];
if (!firstLine) {
  process.stderr.write(`The emulator did not start (is port ${emulatorPort} free? set PEOPLEBOOK_EMULATOR_PORT).\n`);
  process.exit(1);
}
const ready = JSON.parse(firstLine) as ReadyInfo;

const proxyEnv = {
  ...process.env,
  NODE_EXTRA_CA_CERTS: ready.caCertPath,
  PORT: proxyPort,
  DATABASE_URL: `file:${path.join(dataDir, 'peoplebook.db')}`,
  PEOPLEBOOK_KEY_FILE: path.join(dataDir, 'secret.key'),
  PEOPLEBOOK_CLOUD: 'custom',
  PEOPLEBOOK_AUTHORITY_HOST: ready.url,
  PEOPLEBOOK_GRAPH_URL: ready.graphUrl,
  PEOPLEBOOK_TENANT_ID: ready.tenantId,
  PEOPLEBOOK_CLIENT_ID: ready.clientId,
  PEOPLEBOOK_CLIENT_SECRET: ready.clientSecret,
  PEOPLEBOOK_GRAPH_AUTH: 'application',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
};
const proxy = spawn(process.execPath, [path.join(root, 'bin/peoplebook-proxy.js'), 'serve'], { stdio: ['ignore', 'inherit', 'inherit'], env: proxyEnv });
children.push(proxy);

const proxyUrl = `http://localhost:${proxyPort}`;
for (let attempt = 0; attempt < 100; attempt++) {
  const ok = await fetch(`${proxyUrl}/readyz`).then((r) => r.ok, () => false);
  if (ok) break;
  if (proxy.exitCode !== null) {
    process.stderr.write(`The proxy did not start (is port ${proxyPort} free? set PORT).\n`);
    stop();
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}

process.stdout.write(`
Peoplebook demo is running.

Tenant emulator (stands in for Microsoft's cloud), ${Number(users).toLocaleString('en')} people in "${ready.tenants[0]!.displayName}":
  Identity host    ${ready.url}        (login.microsoftonline.com)
  Graph            ${ready.graphUrl}   (graph.microsoft.com/v1.0)
  Tenant           ${ready.tenantId}  (${ready.tenantDomain})
  App (client) ID  ${ready.clientId}
  Client secret    ${ready.clientSecret}
  Sign in as       ${ready.adminUpn} (Global Administrator) or ${ready.employeeUpn}, password ${ready.password}

Proxy (SQLite in ${path.relative(process.cwd(), dataDir) || dataDir}):
  Status           ${proxyUrl}/api/v1/tenants/${ready.tenantId}/status
  API description  ${proxyUrl}/openapi.json
  Metrics          ${proxyUrl}/metrics
  Export           NODE_EXTRA_CA_CERTS=${ready.caCertPath} DATABASE_URL=file:${path.join(dataDir, 'peoplebook.db')} \\
                   PEOPLEBOOK_KEY_FILE=${path.join(dataDir, 'secret.key')} npx peoplebook-proxy export --format vcf

The proxy mirrors the tenant with the application permission (consent granted at start). To walk the
admin's "Save and Authorize" instead, POST to ${proxyUrl}/api/azure/setup:
  curl -s ${proxyUrl}/api/azure/setup -H 'content-type: application/json' \\
    -d '{"cloud":"custom","tenant":"${ready.tenantDomain}","clientId":"${ready.clientId}","clientSecret":"${ready.clientSecret}","graphAuth":"delegated"}'
and open the authorizeUrl it returns in a browser that trusts ${ready.caCertPath}
(Chromium: --ignore-certificate-errors-spki-list=${ready.spki}).

The extension (built in ${path.relative(process.cwd(), extensionDir) || extensionDir}, ID ${EXTENSION_ID}):
  chromium --user-data-dir=$(mktemp -d) --ignore-certificate-errors-spki-list=${ready.spki} \\
    --load-extension=${extensionDir}
  then in its options page: cloud Custom, authority host ${ready.url}, proxy URL ${proxyUrl},
  tenant ${ready.tenantDomain}, client ID ${ready.clientId}; save, then sign in from the toolbar popup
  as ${ready.employeeUpn} (password ${ready.password}) and type a name. (Save and Authorize with the
  client secret walks the admin's consent; this tenant is already connected.)

Change the directory while it runs, e.g. add a colleague (the next sync picks it up):
  curl -sk ${ready.controlUrl}/tenants/${ready.tenantId}/users -H 'content-type: application/json' -d '{"displayName":"Zoë Ångström","jobTitle":"Designer"}'

Press Ctrl+C to stop.
`);

await Promise.race([once(emulator, 'exit'), once(proxy, 'exit')]);
stop();
