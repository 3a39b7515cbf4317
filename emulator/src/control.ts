import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { z } from 'zod';
import type { EmulatorState } from './state.ts';
import type { Tenant } from './tenants.ts';
import type { UserPatch } from './directory/types.ts';

/**
 * The emulator's control API (`/_emulator/...`): what an admin would do in the Entra admin centre, done
 * by tests and the demo — add, edit, disable and delete users, grant or revoke consent, register
 * redirect URIs and secrets, revoke sessions, roll signing keys, and move the clock.
 * It is the emulator's own API, not Microsoft's; it never needs a token.
 */

const userPatch = z
  .object({
    displayName: z.string().min(1).max(256),
    givenName: z.string().max(64).nullable(),
    surname: z.string().max(64).nullable(),
    mail: z.string().max(256).nullable(),
    userPrincipalName: z.string().min(3).max(113),
    jobTitle: z.string().max(128).nullable(),
    department: z.string().max(64).nullable(),
    companyName: z.string().max(64).nullable(),
    officeLocation: z.string().max(128).nullable(),
    businessPhones: z.array(z.string().max(64)).max(1),
    mobilePhone: z.string().max(64).nullable(),
    preferredLanguage: z.string().max(16).nullable(),
    city: z.string().max(128).nullable(),
    country: z.string().max(128).nullable(),
    usageLocation: z.string().length(2).nullable(),
    employeeId: z.string().max(16).nullable(),
    accountEnabled: z.boolean(),
    userType: z.enum(['Member', 'Guest']),
    managerId: z.string().nullable(),
    roles: z.array(z.string()),
    hasPhoto: z.boolean(),
    photoVersion: z.number().int().positive(),
  })
  .partial()
  .strict();

const newUser = userPatch.extend({ displayName: z.string().min(1).max(256) });
const consentBody = z.object({ delegated: z.array(z.string()).default([]), application: z.array(z.string()).default([]) }).strict();
const appPatch = z
  .object({
    webRedirectUris: z.array(z.url()).optional(),
    spaRedirectUris: z.array(z.url()).optional(),
    addWebRedirectUris: z.array(z.url()).optional(),
    addSpaRedirectUris: z.array(z.url()).optional(),
    delegatedPermissions: z.array(z.string()).optional(),
    applicationPermissions: z.array(z.string()).optional(),
    signInAudience: z.enum(['AzureADMyOrg', 'AzureADMultipleOrgs']).optional(),
  })
  .strict();

async function body<T>(c: Context, schema: z.ZodType<T>): Promise<T> {
  let raw: unknown;
  try {
    const text = await c.req.text();
    raw = text ? JSON.parse(text) : {};
  } catch {
    throw new HTTPException(400, { message: 'the body must be JSON' });
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new HTTPException(400, { message: z.prettifyError(parsed.error) });
  return parsed.data;
}

export function controlRoutes(state: EmulatorState): Hono {
  const app = new Hono();

  const tenantOf = (c: Context): Tenant => {
    const tenant = state.registry.resolve(c.req.param('tenant') ?? '');
    if (!tenant) throw new HTTPException(404, { message: `no tenant ${c.req.param('tenant')}: use a tenant ID or verified domain` });
    return tenant;
  };
  const userOf = (c: Context, tenant: Tenant) => {
    const key = c.req.param('id') ?? '';
    const user = tenant.directory.getById(key) ?? tenant.directory.getByUpn(key);
    if (!user) throw new HTTPException(404, { message: `no user ${key} in tenant ${tenant.config.id}` });
    return user;
  };
  const mutate = <T>(fn: () => T): T => {
    try {
      return fn();
    } catch (error) {
      throw new HTTPException(400, { message: (error as Error).message });
    }
  };

  app.get('/', (c) =>
    c.json({
      origin: state.origin,
      now: new Date(state.clock.now()).toISOString(),
      tenants: state.registry.tenants().map((t) => ({
        tenantId: t.config.id,
        displayName: t.config.displayName,
        domains: t.config.domains,
        users: t.directory.size,
        seq: t.directory.seq,
      })),
      apps: state.registry.apps().map((a) => ({ clientId: a.clientId, homeTenantId: a.homeTenantId, webRedirectUris: a.webRedirectUris, spaRedirectUris: a.spaRedirectUris })),
    }),
  );

  app.get('/clock', (c) => c.json({ now: new Date(state.clock.now()).toISOString() }));
  app.post('/clock/advance', async (c) => {
    const { seconds } = await body(c, z.object({ seconds: z.number().nonnegative() }).strict());
    state.clock.advance(seconds * 1000);
    return c.json({ now: new Date(state.clock.now()).toISOString() });
  });

  app.get('/keys', (c) => c.json({ current: state.keys.current().kid, published: state.keys.published().map((k) => k.kid) }));
  app.post('/keys/rotate', async (c) => c.json({ kid: await state.keys.rotate() }));
  app.post('/keys/retire', async (c) => {
    const { kid } = await body(c, z.object({ kid: z.string() }).strict());
    mutate(() => state.keys.retire(kid));
    return c.json({ published: state.keys.published().map((k) => k.kid) });
  });

  app.get('/tenants/:tenant/users/:id', (c) => c.json(userOf(c, tenantOf(c))));
  app.post('/tenants/:tenant/users', async (c) => {
    const tenant = tenantOf(c);
    const patch = await body(c, newUser);
    return c.json(mutate(() => tenant.directory.add(patch as UserPatch & { displayName: string })), 201);
  });
  app.patch('/tenants/:tenant/users/:id', async (c) => {
    const tenant = tenantOf(c);
    const user = userOf(c, tenant);
    const patch = await body(c, userPatch);
    return c.json(mutate(() => tenant.directory.update(user.id, patch as UserPatch)));
  });
  app.post('/tenants/:tenant/users/:id/disable', (c) => {
    const tenant = tenantOf(c);
    return c.json(mutate(() => tenant.directory.update(userOf(c, tenant).id, { accountEnabled: false })));
  });
  app.post('/tenants/:tenant/users/:id/restore', (c) => {
    const tenant = tenantOf(c);
    return c.json(mutate(() => tenant.directory.restore(c.req.param('id'))));
  });
  app.delete('/tenants/:tenant/users/:id', (c) => {
    const tenant = tenantOf(c);
    const permanent = c.req.query('permanent') === 'true';
    const id = tenant.directory.getDeleted(c.req.param('id')) && permanent ? c.req.param('id') : userOf(c, tenant).id;
    mutate(() => tenant.directory.remove(id, { permanent }));
    return c.body(null, 204);
  });
  /** Graph's revokeSignInSessions: refresh tokens and earlier access tokens of the user stop working. */
  app.post('/tenants/:tenant/users/:id/revoke', (c) => {
    const tenant = tenantOf(c);
    state.tokens.revokeUser(tenant.config.id, userOf(c, tenant).id);
    return c.body(null, 204);
  });

  app.get('/tenants/:tenant/consent/:clientId', (c) => {
    const record = state.registry.consent(tenantOf(c), c.req.param('clientId'));
    return c.json({ delegated: [...record.adminDelegated], application: [...record.adminApplication], users: record.users.size });
  });
  /** Sets the admin-consented permissions of an app in a tenant (what "Grant admin consent" does). */
  app.put('/tenants/:tenant/consent/:clientId', async (c) => {
    const tenant = tenantOf(c);
    const grants = await body(c, consentBody);
    const record = state.registry.consent(tenant, c.req.param('clientId'));
    record.adminDelegated = new Set(grants.delegated);
    record.adminApplication = new Set(grants.application);
    return c.json({ delegated: grants.delegated, application: grants.application });
  });
  app.delete('/tenants/:tenant/consent/:clientId', (c) => {
    tenantOf(c).consents.delete(c.req.param('clientId'));
    return c.body(null, 204);
  });

  app.get('/apps/:clientId', (c) => {
    const registration = state.registry.app(c.req.param('clientId'));
    if (!registration) throw new HTTPException(404, { message: `no app registration ${c.req.param('clientId')}` });
    return c.json({ ...registration, secrets: registration.secrets.map(({ id, expiresAt }) => ({ id, expiresAt })) });
  });
  app.patch('/apps/:clientId', async (c) => {
    const registration = state.registry.app(c.req.param('clientId'));
    if (!registration) throw new HTTPException(404, { message: `no app registration ${c.req.param('clientId')}` });
    const patch = await body(c, appPatch);
    if (patch.webRedirectUris) registration.webRedirectUris = patch.webRedirectUris;
    if (patch.spaRedirectUris) registration.spaRedirectUris = patch.spaRedirectUris;
    for (const uri of patch.addWebRedirectUris ?? []) if (!registration.webRedirectUris.includes(uri)) registration.webRedirectUris.push(uri);
    for (const uri of patch.addSpaRedirectUris ?? []) if (!registration.spaRedirectUris.includes(uri)) registration.spaRedirectUris.push(uri);
    if (patch.delegatedPermissions) registration.delegatedPermissions = patch.delegatedPermissions;
    if (patch.applicationPermissions) registration.applicationPermissions = patch.applicationPermissions;
    if (patch.signInAudience) registration.signInAudience = patch.signInAudience;
    return c.json({ ...registration, secrets: registration.secrets.map(({ id, expiresAt }) => ({ id, expiresAt })) });
  });

  app.onError((error, c) => {
    const status = error instanceof HTTPException ? error.status : 500;
    const code = status === 404 ? 'not_found' : status === 500 ? 'internal' : 'bad_request';
    return c.json({ error: { code, message: error.message } }, status);
  });
  return app;
}
