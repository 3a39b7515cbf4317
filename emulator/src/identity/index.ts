import { Hono } from 'hono';
import type { EmulatorState } from '../state.ts';
import { authorizeRoutes } from './authorize.ts';
import { discoveryRoutes } from './discovery.ts';
import { tokenRoutes } from './token.ts';

export { describeAadsts, parseAadstsCode, AADSTS_CODES, type AadstsDescription, type AadstsDetails } from './errors.ts';

/**
 * The Microsoft identity platform v2.0 endpoints, per tenant (`{tenant}` = tenant ID, verified domain,
 * `common` or `organizations`):
 *
 * - `GET  /{tenant}/v2.0/.well-known/openid-configuration`, `GET /{tenant}/discovery/v2.0/keys`,
 *   `GET /common/discovery/instance` (MSAL's instance discovery), `GET /oidc/userinfo`, `GET /error?code=`
 * - `GET|POST /{tenant}/oauth2/v2.0/authorize` with the sign-in and consent pages behind it
 * - `GET /{tenant}/adminconsent`, `GET /{tenant}/v2.0/adminconsent`
 * - `POST /{tenant}/oauth2/v2.0/token`
 * - `GET|POST /{tenant}/oauth2/v2.0/logout`
 *
 * MSAL (msal-node, msal-browser) runs against these unchanged with `authority: <emulator url>/<tenant>`
 * and `knownAuthorities: ['localhost:<port>']` (see tests/emulator/identity-msal.test.ts).
 */
export function identityRoutes(state: EmulatorState): Hono {
  const app = new Hono();
  app.route('/', discoveryRoutes(state));
  app.route('/', tokenRoutes(state));
  app.route('/', authorizeRoutes(state));
  return app;
}
