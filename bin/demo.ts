import { startEmulator } from '../emulator/src/server.ts';

/**
 * `npm start`: the demo on the embedded default. Starts the tenant emulator with a seeded tenant and
 * prints what to open. The proxy and the built extension join here as their issues land.
 */
const users = Number(process.env.PEOPLEBOOK_DEMO_USERS ?? 5000);
const port = Number(process.env.PEOPLEBOOK_EMULATOR_PORT ?? 8443);

const emulator = await startEmulator({ port, users });
const { url, tenantId, tenantDomain, clientId, clientSecret, caCertPath, spki, adminUpn, employeeUpn, password } = emulator;
const authorize = new URL(`${url}/${tenantId}/oauth2/v2.0/authorize`);
authorize.search = new URLSearchParams({
  client_id: clientId,
  response_type: 'code',
  redirect_uri: `${url}/_emulator/demo/callback`,
  scope: 'openid profile email offline_access User.Read.All',
  prompt: 'consent',
}).toString();

console.log(`
Peoplebook demo: tenant emulator running (${users.toLocaleString('en')} users in "${emulator.tenants[0]!.displayName}").

  Identity host (login.microsoftonline.com): ${url}
  Graph (graph.microsoft.com/v1.0):          ${emulator.graphUrl}
  Control API:                               ${emulator.controlUrl}
  Tenant:        ${tenantId}  (${tenantDomain})
  Client ID:     ${clientId}
  Client secret: ${clientSecret}
  Sign in as:    ${adminUpn} (Global Administrator) or ${employeeUpn}, password ${password}

Open in a browser (it trusts the emulator's certificate once you import ${caCertPath},
or start Chromium with --ignore-certificate-errors-spki-list=${spki}):
  ${url}/${tenantId}/v2.0/.well-known/openid-configuration

Node tools trust it with NODE_EXTRA_CA_CERTS=${caCertPath}.
Press Ctrl+C to stop.
`);
void authorize;

const stop = () => void emulator.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
