import { describe, expect, it } from 'vitest';
import { AADSTS_CODES, AadstsError, describeAadsts, errorDescription, parseAadstsCode, tokenErrorBody } from '../../emulator/src/identity/errors.ts';
import { delegatedKeys, parseScopes } from '../../emulator/src/identity/scopes.ts';
import { TenantRegistry, type AppRegistration } from '../../emulator/src/tenants.ts';

/** The pure parts of the identity platform: the AADSTS catalogue and scope parsing. */

const CLIENT_ID = '6f1d2c3b-4a59-4e68-8d7c-0b1a2f3e4d5c';
const app: AppRegistration = {
  clientId: CLIENT_ID,
  displayName: 'Peoplebook',
  homeTenantId: 'tenant',
  signInAudience: 'AzureADMyOrg',
  secrets: [],
  webRedirectUris: [],
  spaRedirectUris: [],
  delegatedPermissions: ['User.Read', 'User.Read.All'],
  applicationPermissions: ['User.Read.All'],
  identifierUri: `api://${CLIENT_ID}`,
  exposedScopes: ['access_as_user'],
};
const registry = new TenantRegistry();
registry.addApp(app);

describe('AADSTS catalogue', () => {
  it.each(AADSTS_CODES.map((code) => [code]))('AADSTS%i has a title, a message and an actionable fix', (code) => {
    const described = describeAadsts(code, { clientId: CLIENT_ID, appName: 'Peoplebook', redirectUri: 'https://proxy.example/api/azure/callback', tenantName: 'Lakeside Works' });
    expect(described.title).toMatch(/^\w+$/);
    expect(described.message.length).toBeGreaterThan(10);
    expect(described.fix.length).toBeGreaterThan(10);
    expect(`${described.message} ${described.fix}`).not.toMatch(/undefined|\[object/);
    expect(described.docUrl).toBe(`https://login.microsoftonline.com/error?code=${code}`);
  });

  it('names the exact app-registration step an admin takes', () => {
    expect(describeAadsts(50011, { appName: 'Peoplebook', redirectUri: 'https://proxy.example/api/azure/callback' }).fix).toBe(
      'Microsoft Entra admin center > App registrations > "Peoplebook" > Authentication > Add a platform (Web for the proxy, Single-page application for the extension) > add this redirect URI exactly, including scheme, port, path and trailing slash: https://proxy.example/api/azure/callback.',
    );
    expect(describeAadsts(7000222, { appName: 'Peoplebook', expiredAt: '2025-01-01' }).fix).toContain('Certificates & secrets > New client secret (the secret expired on 2025-01-01)');
    expect(describeAadsts(90094, { appName: 'Peoplebook', tenantName: 'Lakeside Works' }).fix).toContain('Grant admin consent for Lakeside Works');
    expect(describeAadsts(123456).fix).toContain('https://login.microsoftonline.com/error?code=123456');
  });

  it('reads the code back from a description or an error_uri', () => {
    expect(parseAadstsCode('AADSTS700016: Application with identifier ...')).toBe(700016);
    expect(parseAadstsCode('https://login.microsoftonline.com/error?code=50058')).toBe(50058);
    expect(parseAadstsCode('nothing here')).toBeUndefined();
  });

  it('formats errors as Entra does', () => {
    const error = new AadstsError(54005);
    const trace = { traceId: 'aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee', correlationId: '11111111-2222-4333-8444-555555555555', now: Date.UTC(2016, 0, 9, 2, 2, 12) };
    expect(errorDescription(error, trace)).toBe(
      'AADSTS54005: OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.\r\nTrace ID: aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee\r\nCorrelation ID: 11111111-2222-4333-8444-555555555555\r\nTimestamp: 2016-01-09 02:02:12Z',
    );
    expect(tokenErrorBody(error, trace, 'https://localhost:1')).toMatchObject({
      error: 'invalid_grant',
      error_codes: [54005],
      timestamp: '2016-01-09 02:02:12Z',
      trace_id: trace.traceId,
      correlation_id: trace.correlationId,
      error_uri: 'https://localhost:1/error?code=54005',
    });
    expect(new AadstsError(7000215).status).toBe(401);
  });
});

describe('scope parsing', () => {
  it.each([
    ['User.Read', 'graph', 'User.Read'],
    ['user.read.all', 'graph', 'User.Read.All'],
    ['https://graph.microsoft.com/User.Read.All', 'graph', 'User.Read.All'],
    ['00000003-0000-0000-c000-000000000000/User.Read', 'graph', 'User.Read'],
    ['https://graph.microsoft.com/.default', 'graph', '.default'],
    ['.default', 'graph', '.default'],
    ['OpenID', 'oidc', 'openid'],
    [`api://${CLIENT_ID}/access_as_user`, 'api', 'access_as_user'],
    [`${CLIENT_ID}/.default`, 'api', '.default'],
  ])('reads %s as a %s scope %s', (raw, kind, permission) => {
    expect(parseScopes(raw, registry)).toEqual([expect.objectContaining({ raw, kind, permission })]);
  });

  it.each([
    ['https://graph.microsoft.com/Nope.Read', 70011],
    ['https://foo.microsoft.com/mail.read', 70011],
    [`api://${CLIENT_ID}/not_exposed`, 70011],
    ['api://00000000-0000-4000-8000-000000000000/access_as_user', 500011],
  ])('refuses %s with AADSTS%i', (raw, code) => {
    expect(() => parseScopes(raw, registry)).toThrow(expect.objectContaining({ code }));
  });

  it('expands .default to the permissions in the app registration', () => {
    expect(delegatedKeys(parseScopes(`openid https://graph.microsoft.com/.default api://${CLIENT_ID}/.default`, registry), app, registry)).toEqual([
      'openid',
      'User.Read',
      'User.Read.All',
      `api://${CLIENT_ID}/access_as_user`,
    ]);
  });
});
