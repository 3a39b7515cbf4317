import { Hono, type Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { decodeJwt } from 'jose';
import type { DirectoryUser } from '../directory/types.ts';
import { newGuid } from '../ids.ts';
import type { EmulatorState } from '../state.ts';
import type { AppRegistration, Tenant } from '../tenants.ts';
import { clientInfo, issueSecond, isRevoked, readParams, resolveTenantSegment, traceOf, type TenantTarget } from './context.ts';
import { grantedFor, isAdministrator, missingGrants, needsAdministrator, recordConsent } from './consent.ts';
import { AadstsError, aadsts, describeAadsts, entraTimestamp, errorDescription, type AadstsDetails, type TraceContext } from './errors.ts';
import { adminApprovalPage, consentPage, errorPage, formPostPage, signInPage, signedOutPage, type AccountTile } from './pages.ts';
import type { PendingAuthorization, RedirectKind, ResponseMode, SignInSession } from './runtime.ts';
import { delegatedKeys, describePermission, parseScopes, type PermissionLine, type RequestedScope } from './scopes.ts';

/**
 * The interactive endpoints: `/authorize` (auth code flow), the sign-in and consent pages behind it,
 * `/adminconsent` (v1 and v2), and `/logout`.
 * https://learn.microsoft.com/entra/identity-platform/v2-oauth2-auth-code-flow
 * https://learn.microsoft.com/entra/identity-platform/v2-admin-consent
 */

/** Entra's session cookie is ESTSAUTH; the emulator keeps one per tenant so tenants never share a sign-in. */
export const SESSION_COOKIE_PREFIX = 'ESTSAUTH-';
const RESPONSE_MODES: ResponseMode[] = ['query', 'fragment', 'form_post'];
const PROMPTS = ['none', 'login', 'consent', 'select_account'] as const;
/** How many seeded accounts the sign-in page offers as shortcuts. */
const ACCOUNT_TILES = 5;

export function authorizeRoutes(state: EmulatorState): Hono {
  const app = new Hono();
  const { registry, identity, clock, origin } = state;

  const traceLines = (trace: TraceContext) => ({ traceId: trace.traceId, correlationId: trace.correlationId, timestamp: entraTimestamp(trace.now) });

  /** An error the app can't be told about (its redirect URI is not trusted yet): a page, as Entra shows. */
  const pageError = (c: Context, error: AadstsError, trace: TraceContext) => c.html(errorPage(describeAadsts(error.code, error.details), traceLines(trace)), 400);

  /** Sends the response to the redirect URI with the request's response_mode. */
  const respond = (c: Context, request: PendingAuthorization, fields: Record<string, string>) => {
    if (request.responseMode === 'form_post') return c.html(formPostPage(request.redirectUri, fields));
    const target = new URL(request.redirectUri);
    if (request.responseMode === 'fragment') target.hash = new URLSearchParams(fields).toString();
    else for (const [name, value] of Object.entries(fields)) target.searchParams.append(name, value);
    return c.redirect(target.toString(), 302);
  };

  /** An error redirect: error, error_description (with trace, correlation and timestamp), error_uri, state. */
  const redirectError = (c: Context, request: PendingAuthorization, error: AadstsError, trace: TraceContext, extra: Record<string, string> = {}) => {
    identity.pending.delete(request.id);
    const fields: Record<string, string> = {
      // v2-admin-consent, "Error response": admin consent errors also carry admin_consent=True.
      ...(request.kind === 'adminconsent' && request.adminConsentVersion === 2 ? { admin_consent: 'True' } : {}),
      error: error.error,
      error_description: errorDescription(error, trace),
      error_uri: `${origin}/error?code=${error.code}`,
      ...extra,
      ...(request.state !== undefined ? { state: request.state } : {}),
    };
    return respond(c, request, fields);
  };

  const appDetails = (client: AppRegistration, tenant?: Tenant, extra: AadstsDetails = {}): AadstsDetails => ({
    clientId: client.clientId,
    appName: client.displayName,
    tenant: tenant?.config.id,
    tenantName: tenant?.config.displayName,
    ...extra,
  });

  // ---- sessions -------------------------------------------------------------------------------------

  const sessionUser = (session: SignInSession): { tenant: Tenant; user: DirectoryUser } | undefined => {
    const tenant = registry.get(session.tenantId);
    const user = tenant?.directory.getById(session.userId);
    if (!tenant || !user || !user.accountEnabled) return undefined;
    // "Admin revokes all refresh tokens for a user" revokes session cookies too (refresh-tokens, "Token revocation").
    if (isRevoked(state, tenant.config.id, user.id, session.authTime)) return undefined;
    return { tenant, user };
  };

  /** The one signed-in account that fits the request, if exactly one does (else the user must choose). */
  const findSession = (c: Context, request: PendingAuthorization): SignInSession | undefined => {
    const hintedTenant = request.domainHint ? registry.resolve(request.domainHint) : undefined;
    const candidates = Object.entries(getCookie(c))
      .filter(([name]) => name.startsWith(SESSION_COOKIE_PREFIX))
      .map(([, id]) => identity.sessions.get(id))
      .filter((session): session is SignInSession => session !== undefined && sessionUser(session) !== undefined)
      .filter((session) => !request.tenantId || session.tenantId === request.tenantId)
      .filter((session) => !hintedTenant || session.tenantId === hintedTenant.config.id)
      .filter((session) => !request.loginHint || sessionUser(session)?.user.userPrincipalName.toLowerCase() === request.loginHint.toLowerCase());
    return candidates.length === 1 ? candidates[0] : undefined;
  };

  const startSession = (c: Context, tenant: Tenant, user: DirectoryUser): SignInSession => {
    const session: SignInSession = { id: newGuid(), tenantId: tenant.config.id, userId: user.id, authTime: issueSecond(state, tenant.config.id, user.id) };
    identity.sessions.set(session.id, session);
    setCookie(c, `${SESSION_COOKIE_PREFIX}${tenant.config.id}`, session.id, { path: '/', httpOnly: true, secure: true, sameSite: 'None' });
    return session;
  };

  // ---- pages ----------------------------------------------------------------------------------------

  const accountTiles = (tenant: Tenant | undefined): AccountTile[] => {
    if (!tenant) return [];
    const tiles: AccountTile[] = [];
    for (const { user } of tenant.directory.iterate()) {
      if (tiles.length >= ACCOUNT_TILES) break;
      tiles.push({ upn: user.userPrincipalName, displayName: user.displayName, note: isAdministrator(user) ? 'Global Administrator' : undefined });
    }
    return tiles;
  };

  const showSignIn = (c: Context, request: PendingAuthorization, error?: AadstsError, login?: string) => {
    identity.pending.set(request.id, request);
    const tenant = request.tenantId ? registry.get(request.tenantId) : undefined;
    return c.html(
      signInPage({
        action: `/${request.tenantSegment}/login`,
        ctx: request.id,
        organization: tenant?.config.displayName,
        login: login ?? request.loginHint,
        accounts: accountTiles(tenant),
        error: error ? describeAadsts(error.code, error.details) : undefined,
      }),
    );
  };

  const showConsent = (c: Context, request: PendingAuthorization, client: AppRegistration, tenant: Tenant, user: DirectoryUser, lines: PermissionLine[]) => {
    identity.pending.set(request.id, request);
    const home = registry.get(client.homeTenantId);
    return c.html(
      consentPage({
        action: `/${request.tenantSegment}/consent`,
        ctx: request.id,
        appName: client.displayName,
        publisher: home?.config.displayName ?? tenant.config.displayName,
        user: user.userPrincipalName,
        permissions: lines,
        offerOrganization: request.kind === 'authorize' && isAdministrator(user),
        forOrganization: request.kind === 'adminconsent',
      }),
    );
  };

  const showAdminApproval = (c: Context, request: PendingAuthorization, client: AppRegistration, tenant: Tenant, user: DirectoryUser, keys: string[]) => {
    identity.pending.set(request.id, request);
    const error = aadsts(90094, appDetails(client, tenant, { scope: keys.join(' ') }));
    return c.html(
      adminApprovalPage({
        action: `/${request.tenantSegment}/consent`,
        ctx: request.id,
        appName: client.displayName,
        user: user.userPrincipalName,
        permissions: keys.map((key) => describePermission(key, registry)),
        error: describeAadsts(error.code, error.details),
      }),
    );
  };

  // ---- the flow -------------------------------------------------------------------------------------

  /** Delegated grant keys and, for admin consent with `.default` (or v1), the application permissions. */
  const requestedPermissions = (request: PendingAuthorization, client: AppRegistration, scopes: RequestedScope[]) => {
    const delegated = delegatedKeys(scopes, client, registry);
    // v2-admin-consent: "In order to request app permissions, you must use the /.default value"; the v1
    // endpoint always asks for everything in the registration.
    const wantsApplication = request.kind === 'adminconsent' && (request.adminConsentVersion === 1 || scopes.some((scope) => scope.permission === '.default'));
    return { delegated, application: wantsApplication ? [...client.applicationPermissions] : [] };
  };

  const issueCode = (c: Context, request: PendingAuthorization, session: SignInSession) => {
    const now = clock.now();
    identity.sweep(now);
    const code = identity.newHandle('1.A');
    identity.codes.set(code, {
      code,
      tenantId: session.tenantId,
      tenantSegment: request.tenantSegment,
      clientId: request.clientId,
      userId: session.userId,
      redirectUri: request.redirectUri,
      redirectKind: request.redirectKind,
      scopes: request.scopes,
      nonce: request.nonce,
      codeChallenge: request.codeChallenge,
      codeChallengeMethod: request.codeChallengeMethod,
      authTime: session.authTime,
      sessionId: session.id,
      issuedAt: now,
    });
    identity.pending.delete(request.id);
    return respond(c, request, {
      code,
      ...(request.clientInfo ? { client_info: clientInfo(session.userId, session.tenantId) } : {}),
      ...(request.state !== undefined ? { state: request.state } : {}),
      session_state: session.id,
    });
  };

  /** After the user is known (fresh sign-in or session): admin checks, consent, then the code. */
  const continueAs = (c: Context, request: PendingAuthorization, session: SignInSession, trace: TraceContext) => {
    const known = sessionUser(session);
    const client = registry.app(request.clientId);
    if (!known || !client) return redirectError(c, request, aadsts(50058), trace);
    const { tenant, user } = known;
    request.userId = user.id;
    request.tenantId = tenant.config.id;
    request.sessionId = session.id;
    // Through /common the tenant is only known now: the app must exist there too.
    if (!registry.appVisibleIn(client, tenant.config.id)) return redirectError(c, request, aadsts(700016, appDetails(client, tenant)), trace);

    let scopes: RequestedScope[];
    try {
      scopes = parseScopes(request.scopes.join(' '), registry);
    } catch (error) {
      if (error instanceof AadstsError) return redirectError(c, request, error, trace);
      throw error;
    }
    const { delegated, application } = requestedPermissions(request, client, scopes);

    if (request.kind === 'adminconsent') {
      // "Microsoft Entra ID enforces that only a tenant administrator can sign in to complete the request."
      if (!isAdministrator(user)) return showAdminApproval(c, request, client, tenant, user, [...delegated, ...application]);
      return showConsent(c, request, client, tenant, user, [
        ...delegated.map((key) => describePermission(key, registry)),
        ...application.map((key) => describePermission(key, registry, true)),
      ]);
    }

    const missing = missingGrants(delegated, grantedFor(registry, tenant, client.clientId, user.id));
    if (request.prompt === 'none') {
      // prompt=none "ensures that the user isn't presented with any interactive prompt"; missing consent
      // is consent_required (OIDC core §3.1.2.6) with AADSTS65001.
      if (missing.length) return redirectError(c, request, aadsts(65001, appDetails(client, tenant, { scope: missing.join(' ') }), { error: 'consent_required' }), trace);
      return issueCode(c, request, session);
    }
    // Admin-restricted permissions: "the user receives an error message that says they're not authorized
    // to consent" (v2-oauth2-auth-code-flow, "Request an authorization code").
    const adminOnly = needsAdministrator(missing);
    if (adminOnly.length && !isAdministrator(user)) return showAdminApproval(c, request, client, tenant, user, adminOnly);
    // prompt=consent "triggers the OAuth consent dialog after the user signs in".
    if (request.prompt === 'consent') return showConsent(c, request, client, tenant, user, delegated.map((key) => describePermission(key, registry)));
    if (missing.length) return showConsent(c, request, client, tenant, user, missing.map((key) => describePermission(key, registry)));
    return issueCode(c, request, session);
  };

  const proceed = (c: Context, request: PendingAuthorization, trace: TraceContext) => {
    const session = findSession(c, request);
    if (request.prompt === 'none') {
      // "If the request can't be completed silently by using single-sign on" → login_required (AADSTS50058).
      if (!session) return redirectError(c, request, aadsts(50058), trace);
      return continueAs(c, request, session, trace);
    }
    // prompt=login "forces the user to enter their credentials"; select_account "interrupts single sign-on"
    // (the emulator's account picker is its sign-in page, which lists seeded accounts).
    const reuse =
      session !== undefined &&
      request.prompt !== 'login' &&
      request.prompt !== 'select_account' &&
      (request.kind === 'authorize' || isAdministrator(sessionUser(session)!.user));
    if (reuse) return continueAs(c, request, session, trace);
    return showSignIn(c, request);
  };

  /** Validates what must be trusted before anything is sent back to the redirect URI. */
  const begin = (c: Context, params: Record<string, string>, trace: TraceContext, kind: PendingAuthorization['kind'], version?: 1 | 2) => {
    let where: TenantTarget;
    try {
      where = resolveTenantSegment(state, c.req.param('tenant') ?? '');
    } catch (error) {
      if (error instanceof AadstsError) return pageError(c, error, trace);
      throw error;
    }
    const tenant = where.kind === 'tenant' ? where.tenant : undefined;
    const clientId = params.client_id?.trim().toLowerCase();
    if (!clientId) return pageError(c, aadsts(900144, { parameter: 'client_id' }), trace);
    const client = registry.app(clientId);
    if (!client || (tenant && !registry.appVisibleIn(client, tenant.config.id))) {
      return pageError(c, aadsts(700016, { clientId: params.client_id, tenant: tenant?.config.id ?? where.segment, tenantName: tenant?.config.displayName }), trace);
    }
    if (!tenant && client.signInAudience === 'AzureADMyOrg') return pageError(c, aadsts(50194, appDetails(client)), trace);
    const redirectUri = params.redirect_uri;
    if (!redirectUri) return pageError(c, aadsts(900971), trace);
    // The redirect URI "must exactly match one of the redirect URIs you registered"; until it does, errors
    // are shown as a page: sending them to an unregistered URI would leak them.
    const redirectKind: RedirectKind | undefined = client.spaRedirectUris.includes(redirectUri) ? 'spa' : client.webRedirectUris.includes(redirectUri) ? 'web' : undefined;
    if (!redirectKind) return pageError(c, aadsts(50011, appDetails(client, tenant, { redirectUri })), trace);

    const mode = params.response_mode;
    const request: PendingAuthorization = {
      id: identity.newHandle(),
      kind,
      adminConsentVersion: version,
      createdAt: clock.now(),
      tenantSegment: where.segment,
      tenantId: tenant?.config.id,
      clientId: client.clientId,
      redirectUri,
      redirectKind,
      // "query: Default when requesting an access token"; admin consent always answers in the query.
      responseMode: kind === 'authorize' && mode && (RESPONSE_MODES as string[]).includes(mode) ? (mode as ResponseMode) : 'query',
      scopes: [],
      state: params.state,
      nonce: params.nonce || undefined,
      loginHint: params.login_hint || undefined,
      domainHint: params.domain_hint || undefined,
      clientInfo: params.client_info === '1',
      correlationId: trace.correlationId,
    };
    if (kind === 'authorize' && mode && !(RESPONSE_MODES as string[]).includes(mode)) return redirectError(c, request, aadsts(70007, { parameter: mode }), trace);
    // domain_hint "skips the email-based discovery process": through /common it picks the tenant up front.
    if (!tenant && request.domainHint) request.tenantId = registry.resolve(request.domainHint)?.config.id;

    if (kind === 'adminconsent' && version === 1) {
      request.scopes = ['https://graph.microsoft.com/.default'];
      return proceed(c, request, trace);
    }
    if (kind === 'authorize') {
      if (!params.response_type) return redirectError(c, request, aadsts(900144, { parameter: 'response_type' }), trace);
      // Only the code flow: the hybrid flow needs the implicit grant, which Peoplebook never enables.
      if (params.response_type.trim() !== 'code') return redirectError(c, request, aadsts(70005, { reason: `Received '${params.response_type}'.` }), trace);
    }
    if (!params.scope?.trim()) return redirectError(c, request, aadsts(900144, { parameter: 'scope' }), trace);
    try {
      parseScopes(params.scope, registry);
    } catch (error) {
      if (error instanceof AadstsError) return redirectError(c, request, error, trace);
      throw error;
    }
    request.scopes = params.scope.split(/\s+/).filter(Boolean);
    if (kind === 'adminconsent') return proceed(c, request, trace);

    // PKCE (RFC 7636). The auth code flow page: code_challenge is "required if code_challenge_method is
    // included", "required ... for single page apps", and "If excluded, code_challenge is assumed to be
    // plaintext"; "The Microsoft identity platform supports both plain and S256".
    const challenge = params.code_challenge;
    const method = params.code_challenge_method;
    if (method && !challenge) return redirectError(c, request, aadsts(900144, { parameter: 'code_challenge' }), trace);
    if (challenge) {
      if (challenge.length < 43 || challenge.length > 128) return redirectError(c, request, aadsts(501491), trace);
      if (method && method !== 'S256' && method !== 'plain') return redirectError(c, request, aadsts(90023, { reason: `Invalid code_challenge_method '${method}'.` }), trace);
      request.codeChallenge = challenge;
      request.codeChallengeMethod = method === 'S256' ? 'S256' : 'plain';
    } else if (redirectKind === 'spa') {
      return redirectError(c, request, aadsts(9002325), trace);
    }
    const prompt = params.prompt;
    if (prompt) {
      if (!(PROMPTS as readonly string[]).includes(prompt)) return redirectError(c, request, aadsts(90023, { reason: `Invalid prompt '${prompt}'.` }), trace);
      request.prompt = prompt as PendingAuthorization['prompt'];
    }
    return proceed(c, request, trace);
  };

  app.on(['GET', 'POST'], '/:tenant/oauth2/v2.0/authorize', async (c) => {
    const params = await readParams(c);
    return begin(c, params, traceOf(c, state, params), 'authorize');
  });
  app.get('/:tenant/adminconsent', (c) => begin(c, c.req.query(), traceOf(c, state), 'adminconsent', 1));
  app.get('/:tenant/v2.0/adminconsent', (c) => begin(c, c.req.query(), traceOf(c, state), 'adminconsent', 2));

  /** The pending request a page posts back to; gone (or never existed) is Entra's "flow token expired". */
  const pendingOf = (c: Context, ctx: string | undefined, trace: TraceContext) => {
    const request = ctx ? identity.pending.get(ctx) : undefined;
    if (!request) return { page: pageError(c, aadsts(50089), trace) };
    return { request };
  };

  app.post('/:tenant/login', async (c) => {
    const form = await readParams(c);
    const trace = traceOf(c, state);
    const found = pendingOf(c, form.ctx, trace);
    if (!found.request) return found.page;
    const request = found.request;
    trace.correlationId = request.correlationId;
    const login = (form.login ?? '').trim();
    const domain = login.includes('@') ? login.slice(login.lastIndexOf('@') + 1) : '';
    const tenant = request.tenantId ? registry.get(request.tenantId) : registry.resolve(domain);
    const user = tenant?.directory.getByUpn(login);
    if (!tenant || !user) return showSignIn(c, request, aadsts(50034, { user: login, tenant: tenant?.config.id, tenantName: tenant?.config.displayName }), login);
    // Every seeded user signs in with the tenant's shared password.
    if (form.passwd !== tenant.config.password) return showSignIn(c, request, aadsts(50126), login);
    if (!user.accountEnabled) return showSignIn(c, request, aadsts(50057, { user: user.userPrincipalName }), login);
    const session = startSession(c, tenant, user);
    return continueAs(c, request, session, trace);
  });

  app.post('/:tenant/consent', async (c) => {
    const form = await readParams(c);
    const trace = traceOf(c, state);
    const found = pendingOf(c, form.ctx, trace);
    if (!found.request) return found.page;
    const request = found.request;
    trace.correlationId = request.correlationId;
    const session = request.sessionId ? identity.sessions.get(request.sessionId) : undefined;
    const known = session ? sessionUser(session) : undefined;
    const client = registry.app(request.clientId);
    if (!session || !known || !client) return pageError(c, aadsts(50089), trace);
    const { tenant, user } = known;

    if (form.decision === 'return') {
      // "Return to the application without granting consent" from the Need admin approval page.
      return redirectError(c, request, aadsts(90094, appDetails(client, tenant)), trace);
    }
    if (form.decision !== 'accept') {
      if (request.kind === 'adminconsent' && request.adminConsentVersion === 1) {
        // v2-oauth2-client-creds-grant-flow, admin consent "Error response": error=permission_denied.
        return redirectError(c, request, aadsts(65004, appDetails(client, tenant), { error: 'permission_denied' }), trace);
      }
      // The user selected Cancel: access_denied, AADSTS65004 (v2-admin-consent shows consent_required for the admin flow).
      return redirectError(c, request, aadsts(65004, appDetails(client, tenant), { error: request.kind === 'adminconsent' ? 'consent_required' : 'access_denied' }), trace, request.kind === 'authorize' ? { error_subcode: 'cancel' } : {});
    }

    let scopes: RequestedScope[];
    try {
      scopes = parseScopes(request.scopes.join(' '), registry);
    } catch (error) {
      if (error instanceof AadstsError) return redirectError(c, request, error, trace);
      throw error;
    }
    const { delegated, application } = requestedPermissions(request, client, scopes);

    if (request.kind === 'adminconsent') {
      if (!isAdministrator(user)) return showAdminApproval(c, request, client, tenant, user, [...delegated, ...application]);
      recordConsent(registry, tenant, client.clientId, delegated, { organization: true });
      const record = registry.consent(tenant, client.clientId);
      for (const permission of application) record.adminApplication.add(permission);
      identity.pending.delete(request.id);
      // v2-admin-consent "Successful response" (v1: tenant, state, admin_consent).
      return respond(c, request, {
        admin_consent: 'True',
        tenant: tenant.config.id,
        ...(request.adminConsentVersion === 2 ? { scope: request.scopes.join(' ') } : {}),
        ...(request.state !== undefined ? { state: request.state } : {}),
      });
    }

    const forOrganization = form.consent_for_org === 'true' && isAdministrator(user);
    const missing = missingGrants(delegated, grantedFor(registry, tenant, client.clientId, user.id));
    const adminOnly = needsAdministrator(missing);
    if (!forOrganization && adminOnly.length && !isAdministrator(user)) return showAdminApproval(c, request, client, tenant, user, adminOnly);
    recordConsent(registry, tenant, client.clientId, delegated, forOrganization ? { organization: true } : { userId: user.id });
    return issueCode(c, request, session);
  });

  // Sign-out (v2-protocols-oidc, "Send a sign-out request"): ends the tenant's session; redirects to
  // post_logout_redirect_uri only when it is registered for the app named by client_id or id_token_hint.
  app.on(['GET', 'POST'], '/:tenant/oauth2/v2.0/logout', async (c) => {
    const params = await readParams(c);
    let where: TenantTarget | undefined;
    try {
      where = resolveTenantSegment(state, c.req.param('tenant') ?? '');
    } catch {
      where = undefined;
    }
    for (const [name, id] of Object.entries(getCookie(c))) {
      if (!name.startsWith(SESSION_COOKIE_PREFIX)) continue;
      const session = identity.sessions.get(id);
      if (where?.kind === 'tenant' && session && session.tenantId !== where.tenant.config.id) continue;
      identity.sessions.delete(id);
      deleteCookie(c, name, { path: '/', secure: true });
    }
    const target = params.post_logout_redirect_uri;
    let clientId = params.client_id;
    if (!clientId && params.id_token_hint) {
      try {
        const aud = decodeJwt(params.id_token_hint).aud;
        clientId = Array.isArray(aud) ? aud[0] : aud;
      } catch {
        clientId = undefined;
      }
    }
    const client = clientId ? registry.app(clientId.toLowerCase()) : undefined;
    if (target && client && [...client.webRedirectUris, ...client.spaRedirectUris].includes(target)) {
      const url = new URL(target);
      if (params.state) url.searchParams.set('state', params.state);
      return c.redirect(url.toString(), 302);
    }
    return c.html(signedOutPage());
  });

  return app;
}
