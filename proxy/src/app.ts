import { randomUUID } from 'node:crypto';
import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { compress } from 'hono/compress';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { ResponseType } from '@microsoft/microsoft-graph-client';
import { contactSchema } from '../../shared/contact.ts';
import { tenantStatusSchema as sharedTenantStatusSchema } from '../../shared/tenant-status.ts';
import { createTokenVerifier, type Principal } from './auth/verify-token.ts';
import type { ProxyConfig } from './config.ts';
import { scrubUrl } from './crypto.ts';
import type { ProxyEnv } from './env.ts';
import { ApiError } from './errors.ts';
import type { Logger } from './logger.ts';
import type { ProxyMetrics } from './metrics.ts';
import { isAdmin, requireAuth } from './middleware/auth.ts';
import { rateLimit } from './middleware/rate-limit.ts';
import { callbackPage } from './routes/pages.ts';
import type { Store, Tenant } from './store/types.ts';
import type { SyncScheduler } from './sync/scheduler.ts';
import { OnboardingError, type TenantService } from './tenants/tenant-service.ts';

export interface AppDependencies {
  config: ProxyConfig;
  store: Store;
  tenants: TenantService;
  scheduler: SyncScheduler;
  log: Logger;
  metrics: ProxyMetrics;
  /** Overrides token verification (tests pass the real verifier with another key source). */
  verify?: (authorization: string | undefined) => Promise<Principal>;
  /** Whether the process is ready to serve (false while shutting down). */
  ready?: () => boolean;
}

const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }) }).openapi('Error');
const json = <T extends z.ZodType>(schema: T, description: string) => ({ content: { 'application/json': { schema } }, description });
const errors = {
  400: json(errorSchema, 'Invalid request'),
  401: json(errorSchema, 'Missing, invalid or expired token'),
  403: json(errorSchema, 'Tenant not set up or caller not allowed'),
  429: json(errorSchema, 'Rate limited; see Retry-After'),
} as const;

const PHOTO_SIZES = ['48x48', '64x64', '96x96', '120x120', '240x240', '360x360', '432x432', '504x504', '648x648'] as const;
const PHOTO_TTL_MS = 24 * 3_600_000;

// Rebuilt from the shared shape with @hono/zod-openapi's z, whose schemas carry `.openapi()` (a schema
// made before that module loaded does not).
const tenantStatusSchema = z.object(sharedTenantStatusSchema.shape).openapi('TenantStatus');

export function createApp(deps: AppDependencies): OpenAPIHono<ProxyEnv> {
  const { config, store, tenants, scheduler, log, metrics } = deps;
  const verify =
    deps.verify ??
    createTokenVerifier({
      activeTenant: async (tenantId) => {
        const tenant = await store.getTenant(tenantId);
        // Active, or connected once and failing since (its mirror still serves); never a tenant whose
        // onboarding failed before it was connected (in error too, but with no stored secret).
        const served = tenant?.state === 'active' || (tenant?.state === 'error' && tenant.clientSecret !== null);
        return served ? { clientId: tenant.clientId, authorityHost: tenant.authorityHost } : undefined;
      },
    });
  const app = new OpenAPIHono<ProxyEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        throw new ApiError(400, 'invalid_request', `${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
      }
    },
  });

  // Request id, timing, metrics and one access log line per request (URLs scrubbed of codes and states).
  app.use('*', async (c, next) => {
    const requestId = c.req.header('x-request-id')?.slice(0, 64) || randomUUID();
    c.set('requestId', requestId);
    c.set('log', log.child({ requestId }));
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    const route = routePath(c);
    const seconds = (performance.now() - started) / 1000;
    metrics.httpRequests.inc({ route, method: c.req.method, status: String(c.res.status) });
    metrics.httpDuration.observe({ route, method: c.req.method }, seconds);
    if (route !== '/healthz' && route !== '/metrics') {
      c.var.log.info({ method: c.req.method, url: scrubUrl(c.req.path + (new URL(c.req.url).search || '')), status: c.res.status, ms: Math.round(seconds * 1000) }, 'request');
    }
  });
  // Minimal security headers on every response (each costs bytes on the cheap feed poll): no sniffing,
  // no caching of personal data by intermediaries, no framing.
  app.use('*', async (c, next) => {
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
    if (!c.res.headers.has('Cache-Control')) c.header('Cache-Control', 'no-store');
    if (c.res.headers.get('Content-Type')?.startsWith('text/html')) {
      c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      c.header('X-Frame-Options', 'DENY');
      c.header('Referrer-Policy', 'no-referrer');
    }
  });
  // CORS only for the configured extension origins (extension pages with host permission need none).
  app.use('/api/*', cors({ origin: (origin) => (config.allowedOrigins.includes(origin) ? origin : null), allowHeaders: ['Authorization', 'Content-Type', 'If-None-Match'], exposeHeaders: ['ETag', 'Retry-After', 'X-Request-Id'], maxAge: 600 }));
  app.use('/api/*', bodyLimit({ maxSize: 16 * 1024, onError: () => { throw new ApiError(413, 'body_too_large', 'The request body is larger than 16 KB.'); } }));
  app.use('/api/v1/directory/changes', compress({ threshold: 1024 }));
  // compress() skips bodies under its threshold only when it sees a Content-Length, and c.json() sets
  // none: without this, the ~60-byte no-change poll went out gzipped, chunked and bigger. Registered
  // after compress(), so it runs first on the way out and gives the body its length.
  app.use('/api/v1/directory/changes', async (c, next) => {
    await next();
    if (c.res.body && c.res.status === 200 && !c.res.headers.has('Content-Length')) {
      const bytes = await c.res.arrayBuffer();
      c.res = new Response(bytes, c.res);
      c.res.headers.set('Content-Length', String(bytes.byteLength));
    }
  });

  app.onError((error, c) => {
    if (error instanceof ApiError) {
      for (const [name, value] of Object.entries(error.headers)) c.header(name, value);
      return c.json({ error: { code: error.code, message: error.message } }, error.status);
    }
    if (error instanceof OnboardingError) return c.json({ error: { code: error.code, message: `${error.advice.title}: ${error.advice.fix}` } }, error.status);
    if (error instanceof HTTPException) {
      // Hono's own refusals (malformed JSON, a body that is not JSON) get the same stable codes as ours.
      const code = error.status === 400 ? 'invalid_request' : error.status === 415 ? 'unsupported_media_type' : 'http_error';
      return c.json({ error: { code, message: error.message } }, error.status);
    }
    c.var.log?.error({ err: error }, 'unhandled error');
    return c.json({ error: { code: 'internal', message: 'Something went wrong in the proxy; the request id is in the X-Request-Id header and the logs.' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route ${c.req.method} ${c.req.path}; see /openapi.json` } }, 404));

  // ---- Operations
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  app.get('/readyz', async (c) => {
    if (deps.ready && !deps.ready()) return c.json({ status: 'shutting down' }, 503);
    try {
      await store.listTenants();
      return c.json({ status: 'ready' });
    } catch (error) {
      return c.json({ status: 'store unavailable', message: (error as Error).message }, 503);
    }
  });
  app.get('/metrics', async (c) => c.text(await metrics.registry.metrics(), 200, { 'Content-Type': metrics.registry.contentType }));

  // ---- Onboarding
  const setupRoute = createRoute({
    method: 'post',
    path: '/api/azure/setup',
    summary: 'Save and Authorize: store a pending tenant configuration and get the URL to send the admin to',
    middleware: [rateLimit({ points: 10, durationSeconds: 60, keyPrefix: 'setup' })] as const,
    request: {
      body: {
        required: true,
        content: {
          'application/json': {
            schema: z
              .object({
                cloud: z.enum(['global', 'usgov', 'china', 'custom']).default('global'),
                tenant: z.string().trim().min(3).max(253).regex(/^[A-Za-z0-9.-]+$/, 'a tenant GUID or a verified domain such as contoso.onmicrosoft.com'),
                clientId: z.string().trim().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'the Application (client) ID, a GUID'),
                clientSecret: z.string().min(1).max(256),
                graphAuth: z.enum(['delegated', 'application']).default('delegated'),
              })
              .openapi('SetupRequest'),
          },
        },
      },
    },
    responses: {
      201: json(z.object({ tenantId: z.string(), authorizeUrl: z.string(), redirectUri: z.string(), expiresAt: z.string() }).openapi('SetupStarted'), 'Send the admin to authorizeUrl'),
      400: errors[400],
      429: errors[429],
    },
  });
  app.openapi(setupRoute, async (c) => {
    const body = c.req.valid('json');
    const started = await tenants.startOnboarding({ ...body, tenant: body.tenant.toLowerCase() });
    return c.json(started, 201);
  });

  app.get('/api/azure/callback', rateLimit({ points: 30, durationSeconds: 60, keyPrefix: 'callback' }), async (c) => {
    const outcome = await tenants.completeOnboarding(c.req.query());
    if (outcome.ok) void scheduler.runNow(outcome.tenantId).catch((error: unknown) => c.var.log.warn({ err: error }, 'first sync failed'));
    return c.html(callbackPage(outcome), outcome.ok ? 200 : 400);
  });

  async function statusOf(tenant: Tenant) {
    const sync = await store.getSyncState(tenant.id);
    const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);
    const error = tenant.lastError ?? sync?.lastError ?? null;
    const missing = tenant.state === 'active' && tenant.graphAuth === 'delegated' && !tenant.grantedScopes.some((s) => /User\.Read\.All$/i.test(s)) ? ['User.Read.All'] : [];
    return {
      tenantId: tenant.id,
      state: tenant.state,
      graphAuth: tenant.graphAuth,
      usersMirrored: sync?.usersMirrored ?? 0,
      lastSync: { start: iso(sync?.lastStart), end: iso(sync?.lastEnd), outcome: sync?.lastOutcome ?? null },
      nextSync: iso(sync?.nextRunAt),
      // `running` alone outlives a crashed process: a round is under way only while someone holds the lease.
      syncing: sync?.phase === 'running' && ((await store.getSyncLease(tenant.id))?.expiresAt.getTime() ?? 0) > Date.now(),
      lastError: error ? { code: error.code, message: error.message, fix: error.fix, at: error.at.toISOString() } : null,
      secretExpiresAt: iso(tenant.secretExpiresAt),
      missingPermissions: missing,
    };
  }

  const statusRoute = createRoute({
    method: 'get',
    path: '/api/v1/tenants/{tenantId}/status',
    summary: "A tenant's setup and sync status, for the options page (no personal data)",
    middleware: [rateLimit({ points: 120, durationSeconds: 60, keyPrefix: 'status' })] as const,
    request: { params: z.object({ tenantId: z.string().regex(/^[0-9a-f-]{36}$/i, 'a tenant GUID') }) },
    responses: { 200: json(tenantStatusSchema, 'Status'), 404: json(errorSchema, 'Unknown tenant'), 429: errors[429] },
  });
  app.openapi(statusRoute, async (c) => {
    const tenant = await store.getTenant(c.req.valid('param').tenantId.toLowerCase());
    if (!tenant) throw new ApiError(404, 'tenant_not_found', 'This tenant is not set up on this proxy: choose Save and Authorize in the options page.');
    return c.json(await statusOf(tenant), 200);
  });

  // ---- Authenticated API
  const auth = requireAuth(verify);
  const perUser = rateLimit({ points: config.rateLimitPerMinute, durationSeconds: 60, keyPrefix: 'user' });

  const meRoute = createRoute({
    method: 'get',
    path: '/api/v1/me',
    summary: 'The signed-in colleague, their contact and their tenant status',
    security: [{ bearer: [] }],
    middleware: [auth, perUser] as const,
    responses: {
      200: json(
        z.object({ tenantId: z.string(), oid: z.string(), name: z.string().nullable(), username: z.string().nullable(), isAdmin: z.boolean(), contact: contactSchema.nullable(), tenant: tenantStatusSchema.extend({ adminUpn: z.string().nullable() }) }).openapi('Me'),
        'The caller',
      ),
      401: errors[401],
      403: errors[403],
      429: errors[429],
    },
  });
  app.openapi(meRoute, async (c) => {
    const principal = c.var.principal;
    const tenant = (await store.getTenant(principal.tenantId))!;
    const admin = isAdmin(principal);
    return c.json(
      {
        tenantId: principal.tenantId,
        oid: principal.oid,
        name: principal.name ?? null,
        username: principal.username ?? null,
        isAdmin: admin,
        contact: await store.getUser(principal.tenantId, principal.oid),
        tenant: { ...(await statusOf(tenant)), adminUpn: admin ? tenant.adminUpn : null },
      },
      200,
    );
  });

  const changesRoute = createRoute({
    method: 'get',
    path: '/api/v1/directory/changes',
    summary: "Changes to the caller's directory since a cursor (0 = everything)",
    security: [{ bearer: [] }],
    middleware: [auth, perUser] as const,
    request: {
      query: z.object({
        since: z.string().regex(/^\d{1,15}(?:\.\d{1,15})?$/, 'a cursor from a previous answer, or 0').default('0'),
        limit: z.coerce.number().int().min(1).max(5000).default(1000),
      }),
    },
    responses: {
      200: json(
        z.union([
          z.object({ cursor: z.string(), more: z.boolean(), upserts: z.array(contactSchema), deletions: z.array(z.string()) }),
          z.object({ resync: z.literal(true) }),
        ]).openapi('Changes'),
        'Changes in order; `resync` means drop the local copy and start again from 0',
      ),
      401: errors[401],
      403: errors[403],
      429: errors[429],
    },
  });
  app.openapi(changesRoute, async (c) => {
    const { since, limit } = c.req.valid('query');
    const tenantId = c.var.principal.tenantId;
    // Cursors are opaque to clients. `<seq>` is a place in the change history; `<seq>.<start>` is a
    // first download still under way, started when the history reached <start>: it is checked against
    // the kept history from that start, so pruning old deletions never sends a newcomer back to 0.
    const [position, startText] = since.split('.');
    let cursor = Number(position);
    let start = startText === undefined ? undefined : Number(startText);
    if (cursor === 0) start = await store.latestSeq(tenantId);
    const page = await store.changesSince(tenantId, cursor, limit, start);
    if (page.resync) return c.json({ resync: true as const }, 200);
    cursor = page.nextCursor;
    const next = page.more && start !== undefined ? `${cursor}.${start}` : String(cursor);
    return c.json({ cursor: next, more: page.more, upserts: page.upserts, deletions: page.deletions }, 200);
  });

  const photoRoute = createRoute({
    method: 'get',
    path: '/api/v1/directory/users/{id}/photo',
    summary: "A colleague's photo, fetched from Graph once and cached (misses too)",
    security: [{ bearer: [] }],
    middleware: [auth, perUser] as const,
    request: {
      params: z.object({ id: z.string().regex(/^[0-9a-f-]{36}$/i, 'a user object ID') }),
      query: z.object({ size: z.enum(PHOTO_SIZES).default('96x96') }),
    },
    responses: {
      200: { content: { 'image/*': { schema: z.string().openapi({ format: 'binary' }) } }, description: 'The photo' },
      304: { description: 'Not modified (If-None-Match)' },
      404: json(errorSchema, 'No such colleague, or no photo'),
      401: errors[401],
      403: errors[403],
    },
  });
  app.openapi(photoRoute, async (c) => {
    const { tenantId } = c.var.principal;
    const { id } = c.req.valid('param');
    const { size } = c.req.valid('query');
    const userId = id.toLowerCase();
    // Only colleagues in the caller's own mirror: a token never reaches another tenant's photos.
    if (!(await store.getUser(tenantId, userId))) throw new ApiError(404, 'user_not_found', 'No colleague with this ID in your directory.');
    let photo = await store.getPhoto(tenantId, userId, size);
    if (!photo || Date.now() - photo.fetchedAt.getTime() > PHOTO_TTL_MS) {
      const tenant = (await store.getTenant(tenantId))!;
      try {
        const graph = tenants.graphFor(tenant);
        const response = (await graph.api(`/users/${userId}/photos/${size}/$value`).responseType(ResponseType.RAW).get()) as Response;
        if (response.status === 404) {
          await store.putPhoto(tenantId, userId, size, { etag: null, contentType: null, bytes: null, missing: true });
        } else if (response.ok) {
          const bytes = new Uint8Array(await response.arrayBuffer());
          await store.putPhoto(tenantId, userId, size, { etag: response.headers.get('etag'), contentType: response.headers.get('content-type') ?? 'image/jpeg', bytes, missing: false });
        } else {
          throw new ApiError(502, 'graph_error', `Graph answered ${response.status} for the photo; try again later.`);
        }
      } catch (error) {
        if ((error as { statusCode?: number }).statusCode === 404) await store.putPhoto(tenantId, userId, size, { etag: null, contentType: null, bytes: null, missing: true });
        else if (error instanceof ApiError) throw error;
        else throw new ApiError(502, 'graph_error', `Fetching the photo from Graph failed: ${(error as Error).message}`);
      }
      photo = await store.getPhoto(tenantId, userId, size);
    }
    if (!photo || photo.missing || !photo.bytes) {
      c.header('Cache-Control', 'private, max-age=3600');
      throw new ApiError(404, 'photo_not_found', 'This colleague has no photo.');
    }
    const etag = `"${(photo.etag ?? `${userId}-${size}`).replace(/"/g, '')}"`;
    c.header('ETag', etag);
    c.header('Cache-Control', 'private, max-age=86400');
    if (c.req.header('if-none-match') === etag) return c.body(null, 304);
    return c.body(photo.bytes as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': photo.contentType ?? 'image/jpeg' });
  });

  const syncRoute = createRoute({
    method: 'post',
    path: '/api/v1/tenants/{tenantId}/sync',
    summary: "Start a sync of the caller's tenant now (Global Administrators)",
    security: [{ bearer: [] }],
    middleware: [auth, perUser] as const,
    request: { params: z.object({ tenantId: z.string().regex(/^[0-9a-f-]{36}$/i) }) },
    responses: { 202: json(z.object({ started: z.boolean() }), 'Started'), 401: errors[401], 403: errors[403] },
  });
  app.openapi(syncRoute, async (c) => {
    const principal = c.var.principal;
    if (principal.tenantId !== c.req.valid('param').tenantId.toLowerCase() || !isAdmin(principal)) {
      throw new ApiError(403, 'forbidden', 'Only a Global Administrator of this tenant can start a sync.');
    }
    void scheduler.runNow(principal.tenantId).catch(() => undefined);
    return c.json({ started: true }, 202);
  });

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'A Microsoft-issued token for the tenant\'s Peoplebook app: its ID token, or an access token for api://<client-id>/... (aud = client ID)',
  });
  app.doc('/openapi.json', {
    openapi: '3.0.3',
    info: { title: 'Peoplebook proxy', version: '0.1.0', description: 'Tenant onboarding, directory mirror status, and the changes feed extensions sync from.' },
  });
  // Routes that are not part of the typed API but are served: describe them too.
  for (const [path, summary] of [
    ['/api/azure/callback', 'Where Microsoft redirects the admin after consent (renders an HTML result page)'],
    ['/healthz', 'Liveness'],
    ['/readyz', 'Readiness (store reachable, not shutting down)'],
    ['/metrics', 'Prometheus metrics'],
    ['/openapi.json', 'This API description (OpenAPI 3)'],
  ] as const) {
    app.openAPIRegistry.registerPath({ method: 'get', path, summary, responses: { 200: { description: 'OK' } } });
  }
  return app;
}
