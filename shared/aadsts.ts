/**
 * AADSTS errors: Entra's wording and the step an administrator takes to fix each. The tenant emulator
 * answers with these codes and messages; the proxy turns a real tenant's codes into the fix it shows.
 *
 * Codes, their OAuth `error` strings and their meaning follow Microsoft's error reference
 * (https://learn.microsoft.com/entra/identity-platform/reference-error-codes) and the protocol pages
 * that show each response (v2-oauth2-auth-code-flow, v2-oauth2-client-creds-grant-flow,
 * v2-oauth2-on-behalf-of-flow, v2-admin-consent, refresh-tokens). A few codes Entra returns that the
 * reference table does not list (9002325, 9002326, 9002327, 500112) are marked where they are used.
 *
 * The module is pure (no Node imports): the proxy and the extension use it too.
 */

/** Values an error message or fix may mention. All optional: a fix reads well without them. */
export interface AadstsDetails {
  tenant?: string;
  tenantName?: string;
  clientId?: string;
  appName?: string;
  redirectUri?: string;
  registeredRedirectUri?: string;
  origin?: string;
  scope?: string;
  parameter?: string;
  user?: string;
  issuedAt?: string;
  revokedAt?: string;
  expiredAt?: string;
  reason?: string;
}

export interface CatalogueEntry {
  /** OAuth 2.0 `error` value Entra pairs with the code (RFC 6749 §4.1.2.1, §5.2, and OIDC's extra values). */
  error: string;
  /** HTTP status of a token-endpoint answer. RFC 6749 §5.2: 401 for failed client authentication, else 400. */
  status: 400 | 401;
  /** Entra's internal name for the code, as the error reference lists it. */
  title: string;
  message(d: AadstsDetails): string;
  /** What an administrator does to fix it, naming the admin-centre step. */
  fix(d: AadstsDetails): string;
}

const q = (value: string | undefined, fallback: string): string => (value ? `'${value}'` : fallback);
const appRegistration = (d: AadstsDetails): string => `Microsoft Entra admin center > App registrations > ${d.appName ? `"${d.appName}"` : 'your app'}`;
const REDIRECT_MISMATCH_DOC = 'https://learn.microsoft.com/troubleshoot/entra/entra-id/app-integration/error-code-aadsts50011-redirect-uri-mismatch';

const CATALOGUE: Record<number, CatalogueEntry> = {
  50011: {
    error: 'invalid_request',
    status: 400,
    title: 'InvalidReplyTo',
    message: (d) =>
      `The redirect URI ${q(d.redirectUri, 'in the request')} specified in the request does not match the redirect URIs configured for the application ${q(d.clientId, '')}. Make sure the redirect URI sent in the request matches one added to your application in the Azure portal. Navigate to ${REDIRECT_MISMATCH_DOC} to learn more about how to fix this.`,
    fix: (d) =>
      `${appRegistration(d)} > Authentication > Add a platform (Web for the proxy, Single-page application for the extension) > add this redirect URI exactly, including scheme, port, path and trailing slash: ${d.redirectUri ?? '(the redirect URI the app sent)'}.`,
  },
  50013: {
    error: 'invalid_grant',
    status: 400,
    title: 'InvalidAssertion',
    message: (d) => `Assertion failed signature validation or is not valid for this request. ${d.reason ?? ''}`.trim(),
    fix: () => 'The token passed as the on-behalf-of assertion must be an access token issued to this app (audience = its Application (client) ID) by this tenant. Send the token the client obtained for your API, not an ID token or a Microsoft Graph token.',
  },
  240002: {
    error: 'invalid_grant',
    status: 400,
    title: 'RequiredClaimIsMissing',
    message: () => 'The id_token can\'t be used as urn:ietf:params:oauth:grant-type:jwt-bearer grant.',
    fix: () => 'Pass the access token the client acquired for your API (api://<client-id>/...) to the on-behalf-of flow, not its ID token.',
  },
  500011: {
    error: 'invalid_resource',
    status: 400,
    title: 'InvalidResourceServicePrincipalNotFound',
    message: (d) => `The resource principal named ${d.scope ?? 'in the request'} was not found in the tenant named ${d.tenantName ?? d.tenant ?? 'the tenant'}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.`,
    fix: (d) => `Check the resource part of the scope ${d.scope ? `'${d.scope}'` : ''}: use the Application ID URI shown in ${appRegistration(d)} > Expose an API, or https://graph.microsoft.com for Microsoft Graph.`,
  },
  500112: {
    error: 'invalid_request',
    status: 400,
    title: 'ReplyAddressMismatch',
    message: (d) => `The reply address ${q(d.redirectUri, '')} does not match the reply address ${q(d.registeredRedirectUri, '')} provided when requesting Authorization code.`,
    fix: () => 'Send the same redirect_uri when redeeming the code as in the sign-in request that produced it.',
  },
  500133: {
    error: 'invalid_grant',
    status: 400,
    title: 'AssertionNotWithinValidTimeRange',
    message: (d) => `Assertion is not within its valid time range. Ensure that the access token is not expired before using it for user assertion, or request a new token. ${d.reason ?? ''}`.trim(),
    fix: () => 'The client sent an expired access token to the API; it must acquire a fresh one (silently) before calling the API.',
  },
  501481: {
    error: 'invalid_grant',
    status: 400,
    title: 'CodeVerifierMismatch',
    message: () => 'The Code_Verifier does not match the code_challenge supplied in the authorization request.',
    fix: () => 'Redeem the code with the code_verifier whose SHA-256 produced the code_challenge of the same sign-in request (keep the verifier with the state of that request).',
  },
  501491: {
    error: 'invalid_request',
    status: 400,
    title: 'InvalidCodeChallengeMethodInvalidSize',
    message: () => 'Invalid size of Code_Challenge parameter.',
    fix: () => 'Send a code_challenge of 43 to 128 characters (base64url of the SHA-256 of the code_verifier for S256).',
  },
  // Codes the emulator never returns but a real tenant does; kept so describeAadsts can explain them.
  50020: {
    error: 'invalid_request',
    status: 400,
    title: 'UserUnauthorized',
    message: (d) => `User account ${d.user ? `'${d.user}'` : ''} from identity provider does not exist in tenant '${d.tenantName ?? d.tenant ?? ''}' and cannot access the application '${d.clientId ?? ''}'(${d.appName ?? ''}) in that tenant. The account needs to be added as an external user in the tenant first.`.replace('  ', ' '),
    fix: (d) => `Sign in with an account of ${d.tenantName ?? 'the tenant'}, or invite the user as a guest (Microsoft Entra admin center > Users > Invite external user).`,
  },
  50076: {
    error: 'interaction_required',
    status: 400,
    title: 'UserStrongAuthClientAuthNRequired',
    message: () => 'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access the resource.',
    fix: () => 'Sign in interactively to complete multifactor authentication; a Conditional Access policy requires it.',
  },
  50148: {
    error: 'invalid_grant',
    status: 400,
    title: 'CodeVerifierMismatch',
    message: () => 'The code_verifier does not match the code_challenge supplied in the authorization request for PKCE.',
    fix: () => 'Redeem the code with the code_verifier of the same sign-in request (the emulator answers 501481, the code the error reference lists).',
  },
  51004: {
    error: 'invalid_grant',
    status: 400,
    title: 'UserAccountNotInDirectory',
    message: () => 'The user account does not exist in the directory.',
    fix: (d) => `Sign in with an account of ${d.tenantName ?? 'this tenant'}, or add the user as a guest.`,
  },
  500208: {
    error: 'invalid_request',
    status: 400,
    title: 'NotAValidLoginDomain',
    message: () => 'The domain is not a valid login domain for the account type.',
    fix: () => 'Peoplebook needs a work or school account; personal Microsoft accounts cannot sign in.',
  },
  650056: {
    error: 'invalid_client',
    status: 400,
    title: 'MisconfiguredApplication',
    message: (d) => `Misconfigured application. The client has not listed any permissions for '${d.scope ?? 'the resource'}' in the requested permissions in the client's application registration, or the admin has not consented in the tenant.`,
    fix: (d) => `${appRegistration(d)} > API permissions > Add a permission > Microsoft Graph > Delegated: add openid, profile, email, offline_access, User.Read and User.Read.All, then "Grant admin consent".`,
  },
  650057: {
    error: 'invalid_client',
    status: 400,
    title: 'InvalidResource',
    message: (d) => `Invalid resource. The client has requested access to a resource which is not listed in the requested permissions in the client's application registration. Resource value from request: ${d.scope ?? ''}.`,
    fix: (d) => `${appRegistration(d)} > API permissions > Add a permission: add the API the request names${d.scope ? ` (${d.scope})` : ''}.`,
  },
  90008: {
    error: 'invalid_grant',
    status: 400,
    title: 'TokenForItselfRequiresGraphPermission',
    message: () => 'The user or administrator has not consented to use the application. At the minimum, the application requires access to Microsoft Entra ID by specifying the sign-in and read user profile permission.',
    fix: (d) => `${appRegistration(d)} > API permissions: add Microsoft Graph > Delegated > User.Read, then grant consent.`,
  },
  50034: {
    error: 'invalid_grant',
    status: 400,
    title: 'UserAccountNotFound',
    message: (d) => `The user account ${d.user ? `'${d.user}'` : '{EUII Hidden}'} does not exist in the ${d.tenantName ?? d.tenant ?? ''} directory. To sign into this application, the account must be added to the directory.`.replace('  ', ' '),
    fix: (d) => `Sign in with an account of ${d.tenantName ?? 'this tenant'}, or check that the tenant entered in Peoplebook is the tenant the users belong to.`,
  },
  50049: {
    error: 'invalid_instance',
    status: 400,
    title: 'NoSuchInstanceForDiscovery',
    message: (d) => `Unknown or invalid instance. ${d.reason ?? ''}`.trim(),
    fix: () => 'Use the emulator\'s own URL as the authority host (and list it in knownAuthorities).',
  },
  50057: {
    error: 'invalid_grant',
    status: 400,
    title: 'UserDisabled',
    message: () => 'The user account is disabled.',
    fix: (d) => `Microsoft Entra admin center > Users > ${d.user ?? 'the user'} > Edit properties > Settings > tick "Account enabled".`,
  },
  50058: {
    error: 'login_required',
    status: 400,
    title: 'UserInformationNotProvided',
    message: () =>
      'A silent sign-in request was sent but no user is signed in. The cookies used to represent the user\'s session were not sent in the request to Azure AD. This can happen if the user is using Internet Explorer or Edge, and the web app sending the silent sign-in request is in different IE security zone than the Azure AD endpoint (login.microsoftonline.com).',
    fix: () => 'Expected when nobody is signed in: sign in interactively (the extension does this when its silent renewal fails).',
  },
  50089: {
    error: 'invalid_request',
    status: 400,
    title: 'FlowTokenExpired',
    message: () => 'Authentication failed due to flow token expired. Expected - auth codes, refresh tokens, and sessions expire over time or are revoked by the user or an admin. The app will request a new login from the user.',
    fix: () => 'The sign-in page stayed open too long. Start the sign-in again from the app.',
  },
  50126: {
    error: 'invalid_grant',
    status: 400,
    title: 'InvalidUserNameOrPassword',
    message: () => 'Error validating credentials due to invalid username or password.',
    fix: () => 'The user typed a wrong password. Retry, or reset the password in Microsoft Entra admin center > Users > the user > Reset password.',
  },
  50173: {
    error: 'invalid_grant',
    status: 400,
    title: 'FreshTokenNeeded',
    message: (d) =>
      `The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password. The grant was issued on '${d.issuedAt ?? 'unknown'}' and the TokensValidFrom date (before which tokens are not valid) for this user is '${d.revokedAt ?? 'unknown'}'.`,
    fix: () => 'The user\'s sessions were revoked (password reset or "Revoke sessions"). The user, or the admin for the proxy\'s connection, signs in again.',
  },
  50194: {
    error: 'invalid_request',
    status: 400,
    title: 'SingleTenantAppOnCommonEndpoint',
    message: (d) => `Application '${d.clientId ?? ''}'(${d.appName ?? ''}) is not configured as a multi-tenant application. Usage of the /common endpoint is not supported for such applications created after '10/15/2018'. Use a tenant-specific endpoint or configure the application to be multi-tenant.`,
    fix: (d) => `Enter the tenant ID or a verified domain instead of "common", or make the app multitenant in ${appRegistration(d)} > Authentication > Supported account types.`,
  },
  54005: {
    error: 'invalid_grant',
    status: 400,
    title: 'AuthorizationCodeRedeemed',
    message: () => 'OAuth2 Authorization code was already redeemed, please retry with a new valid code or use an existing refresh token.',
    fix: () => 'A code works once. Start a new sign-in (the callback was probably reloaded or called twice).',
  },
  65001: {
    error: 'invalid_grant',
    status: 400,
    title: 'DelegationDoesNotExist',
    message: (d) => `The user or administrator has not consented to use the application with ID '${d.clientId ?? ''}' named '${d.appName ?? ''}'. Send an interactive authorization request for this user and resource.`,
    fix: (d) =>
      `${appRegistration(d)} > API permissions: make sure ${d.scope ? `'${d.scope}'` : 'the permission'} is listed, then select "Grant admin consent for ${d.tenantName ?? 'your organization'}" (or sign in interactively and accept the consent prompt).`,
  },
  65004: {
    error: 'access_denied',
    status: 400,
    title: 'UserDeclinedConsent',
    message: () => 'User declined to consent to access the app.',
    fix: () => 'Cancel was selected on the permissions prompt. Sign in again and select Accept.',
  },
  70003: {
    error: 'unsupported_grant_type',
    status: 400,
    title: 'UnsupportedGrantType',
    message: (d) => `The app requested an unsupported grant type '${d.parameter ?? ''}'.`,
    fix: () => 'Use authorization_code, refresh_token, client_credentials or urn:ietf:params:oauth:grant-type:jwt-bearer.',
  },
  70005: {
    error: 'unsupported_response_type',
    status: 400,
    title: 'UnsupportedResponseType',
    message: (d) => `The provided value for the input parameter 'response_type' is not allowed for this client. Expected value is 'code'. ${d.reason ?? ''}`.trim(),
    fix: () => 'Use response_type=code (authorization code flow with PKCE).',
  },
  70007: {
    error: 'invalid_request',
    status: 400,
    title: 'UnsupportedResponseMode',
    message: (d) => `The application returned an unsupported value of 'response_mode' (${d.parameter ?? ''}) when requesting a token.`,
    fix: () => 'Use response_mode query, fragment or form_post.',
  },
  70008: {
    error: 'invalid_grant',
    status: 400,
    title: 'ExpiredOrRevokedGrant',
    message: () => 'The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.',
    fix: () => 'Authorization codes live about 10 minutes: redeem the code as soon as the callback receives it, or sign in again.',
  },
  70011: {
    error: 'invalid_scope',
    status: 400,
    title: 'InvalidScope',
    message: (d) => `The provided value for the input parameter 'scope' is not valid. ${d.scope ? `The scope ${d.scope} is not valid.` : ''} ${d.reason ?? ''}`.replace(/\s+/g, ' ').trim(),
    fix: () => 'Request Microsoft Graph permissions as https://graph.microsoft.com/<Permission> (e.g. User.Read.All), app-only tokens with <resource>/.default, and your own API as api://<client-id>/<scope>.',
  },
  70000: {
    error: 'invalid_grant',
    status: 400,
    title: 'InvalidGrant',
    message: (d) => `Provided grant is invalid or malformed. ${d.reason ?? ''}`.trim(),
    fix: () => 'The refresh token belongs to another app or is damaged. Sign in again.',
  },
  700005: {
    error: 'invalid_grant',
    status: 400,
    title: 'InvalidGrantRedeemAgainstWrongTenant',
    message: () => 'Provided Authorization Code is intended to use against other tenant, thus rejected.',
    fix: () => 'Redeem the code at the token endpoint of the tenant the sign-in used (same tenant ID or domain in both URLs).',
  },
  700016: {
    error: 'unauthorized_client',
    status: 400,
    title: 'UnauthorizedClient_DoesNotMatchRequest',
    message: (d) =>
      `Application with identifier '${d.clientId ?? ''}' was not found in the directory '${d.tenantName ?? d.tenant ?? ''}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    fix: (d) =>
      `Copy the Application (client) ID from Microsoft Entra admin center > App registrations > your app > Overview, and use the Directory (tenant) ID shown on the same page${d.tenantName ? ` (the app is not registered in ${d.tenantName})` : ''}.`,
  },
  700022: {
    error: 'invalid_scope',
    status: 400,
    title: 'InvalidMultipleResourcesScope',
    message: (d) => `The provided value for the input parameter scope is not valid because it contains more than one resource. Scope ${d.scope ?? ''} is not valid.`,
    fix: () => 'A token is for one API: request Microsoft Graph scopes and your own API\'s scopes in separate token requests.',
  },
  700025: {
    error: 'invalid_client',
    status: 401,
    title: 'InvalidClientPublicClientWithCredential',
    message: () => 'Client is public so neither \'client_assertion\' nor \'client_secret\' should be presented.',
    fix: () => 'Browser code (the extension) must not send the client secret; only the proxy uses it.',
  },
  700082: {
    error: 'invalid_grant',
    status: 400,
    title: 'ExpiredOrRevokedGrantInactiveToken',
    message: (d) => `The refresh token has expired due to inactivity. The token was issued on ${d.issuedAt ?? 'unknown'} and was inactive for 90.00:00:00.`,
    fix: () => 'Nobody used the connection for 90 days. The admin reconnects the tenant (Save and Authorize in the options page).',
  },
  700084: {
    error: 'invalid_grant',
    status: 400,
    title: 'SpaRefreshTokenExpired',
    message: (d) =>
      `The refresh token was issued to a single page app (SPA), and therefore has a fixed, limited lifetime of 1.00:00:00, which cannot be extended. It is now expired and a new sign in request must be sent by the SPA to the sign in page. The token was issued on ${d.issuedAt ?? 'unknown'}.`,
    fix: () => 'Expected every 24 hours for browser sign-ins: the extension renews its sign-in silently (prompt=none) before then.',
  },
  7000215: {
    error: 'invalid_client',
    status: 401,
    title: 'InvalidClientSecretProvided',
    message: (d) => `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${d.clientId ?? ''}'.`,
    fix: (d) => `${appRegistration(d)} > Certificates & secrets > Client secrets > New client secret, then paste the Value column (not the Secret ID).${d.reason ? ` ${d.reason}` : ''}`,
  },
  7000218: {
    error: 'invalid_client',
    status: 401,
    title: 'MissingClientCredential',
    message: () => 'The request body must contain the following parameter: \'client_assertion\' or \'client_secret\'.',
    fix: (d) =>
      `Enter the client secret in Peoplebook. If the redirect URI ${d.redirectUri ?? ''} is used by the browser extension, register it under ${appRegistration(d)} > Authentication > Single-page application instead of Web.`.replace('  ', ' '),
  },
  7000222: {
    error: 'invalid_client',
    status: 401,
    title: 'InvalidClientSecretExpiredKeysProvided',
    message: (d) =>
      `The provided client secret keys for app '${d.clientId ?? ''}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds.`,
    fix: (d) => `${appRegistration(d)} > Certificates & secrets > New client secret${d.expiredAt ? ` (the secret expired on ${d.expiredAt})` : ''}; paste its Value in Peoplebook and delete the expired one.`,
  },
  90002: {
    error: 'invalid_request',
    status: 400,
    title: 'InvalidTenantName',
    message: (d) =>
      `Tenant '${d.tenant ?? ''}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
    fix: () => 'Use the Directory (tenant) ID from Microsoft Entra admin center > Overview, or a verified domain from Settings > Domain names, and check the cloud (Global, US Government, China).',
  },
  90014: {
    error: 'invalid_request',
    status: 400,
    title: 'MissingRequiredField',
    message: (d) => `The required field '${d.parameter ?? ''}' is missing from the credential. Ensure that you have all the necessary parameters for the login request.`,
    fix: () => 'The token or request is incomplete; send a complete user access token or request.',
  },
  90023: {
    error: 'invalid_request',
    status: 400,
    title: 'InvalidRequest',
    message: (d) => `The authentication service request is not valid. ${d.reason ?? ''}`.trim(),
    fix: () => 'Fix the request parameters named in the message.',
  },
  90094: {
    error: 'access_denied',
    status: 400,
    title: 'AdminConsentRequired',
    message: () => 'The grant requires admin permission.',
    fix: (d) =>
      `A Global Administrator signs in and ticks "Consent on behalf of your organization", or selects ${appRegistration(d)} > API permissions > "Grant admin consent for ${d.tenantName ?? 'your organization'}"${d.scope ? ` (needed for ${d.scope})` : ''}.`,
  },
  900144: {
    error: 'invalid_request',
    status: 400,
    title: 'MissingParameter',
    message: (d) => `The request body must contain the following parameter: '${d.parameter ?? ''}'.`,
    fix: (d) => `Send the '${d.parameter ?? ''}' parameter.`,
  },
  900561: {
    error: 'invalid_request',
    status: 400,
    title: 'BadResourceRequestInvalidRequest',
    message: (d) => `The endpoint only accepts POST, OPTIONS requests. Received a ${d.parameter ?? 'GET'} request.`,
    fix: () => 'POST to the token endpoint.',
  },
  900971: {
    error: 'invalid_request',
    status: 400,
    title: 'NoReplyAddress',
    message: () => 'No reply address provided.',
    fix: () => 'Send redirect_uri in the sign-in request.',
  },
  9001023: {
    error: 'invalid_request',
    status: 400,
    title: 'GrantTypeNotSupportedOnCommon',
    message: () => 'The grant type is not supported over the /common or /consumers endpoints. Please use the /organizations or tenant-specific endpoint.',
    fix: () => 'Enter the tenant ID or a verified domain, not "common".',
  },
  9002313: {
    error: 'invalid_grant',
    status: 400,
    title: 'InvalidRequest',
    message: (d) => `Invalid request. Request is malformed or invalid. ${d.reason ?? ''}`.trim(),
    fix: () => 'The code or refresh token is damaged or unknown to this tenant. Sign in again.',
  },
  // Not in the reference table; Entra returns these three for SPA redirect URIs (auth code flow page,
  // "Redirect URIs for single-page apps": a spa redirect URI needs PKCE and an Origin header, and client
  // credentials are refused when an Origin header is present).
  9002325: {
    error: 'invalid_request',
    status: 400,
    title: 'PkceRequiredForSpa',
    message: () => 'Proof Key for Code Exchange is required for cross-origin authorization code redemption.',
    fix: () => 'Send code_challenge and code_challenge_method=S256 when the redirect URI is a single-page-application redirect URI (MSAL.js does).',
  },
  9002326: {
    error: 'invalid_request',
    status: 400,
    title: 'CrossOriginRedemptionForNonSpa',
    message: (d) => `Cross-origin token redemption is permitted only for the 'Single-Page Application' client-type. Request origin: '${d.origin ?? ''}'.`,
    fix: (d) => `${appRegistration(d)} > Authentication: register ${d.redirectUri ?? 'the browser\'s redirect URI'} under "Single-page application", not "Web".`,
  },
  9002327: {
    error: 'invalid_request',
    status: 400,
    title: 'SpaRedemptionWithoutOrigin',
    message: () => 'Tokens issued for the \'Single-Page Application\' client-type may only be redeemed via cross-origin requests.',
    fix: (d) => `The proxy redeems codes for its Web redirect URI; ${d.redirectUri ?? 'this redirect URI'} is registered as a Single-page application URI. Register the proxy's callback under ${appRegistration(d)} > Authentication > Web.`,
  },
};

/** Codes describeAadsts explains: all the emulator answers, plus common ones only a real tenant sends. */
export const AADSTS_CODES: readonly number[] = Object.keys(CATALOGUE).map(Number);

export interface AadstsDescription {
  code: number;
  /** Entra's name for the failure, e.g. `InvalidReplyTo`. */
  title: string;
  /** Entra's message text (without trace and correlation IDs). */
  message: string;
  /** The admin's next step, naming the app-registration screen. */
  fix: string;
  /** Microsoft's lookup page for the code. */
  docUrl: string;
}

/**
 * Explains an AADSTS code for an administrator. Unknown codes get a generic text that points to
 * Microsoft's lookup page (codes change: "Error codes are subject to change at any time").
 */
export function describeAadsts(code: number, details: AadstsDetails = {}): AadstsDescription {
  const docUrl = `https://login.microsoftonline.com/error?code=${code}`;
  const entry = CATALOGUE[code];
  if (!entry) {
    return { code, title: 'UnknownError', message: `AADSTS${code}`, fix: `Look the code up at ${docUrl}.`, docUrl };
  }
  return { code, title: entry.title, message: entry.message(details), fix: entry.fix(details), docUrl };
}

/** Reads the AADSTS code from an `error_description`, `error_codes` or `error_uri` Entra sent. */
export function parseAadstsCode(text: string | undefined): number | undefined {
  const match = text ? /AADSTS(\d+)/.exec(text) ?? /[?&]code=(\d+)/.exec(text) : null;
  return match?.[1] ? Number(match[1]) : undefined;
}

/** The catalogue entry of a code, for the emulator's error responses (OAuth `error` and HTTP status). */
export const aadstsEntry = (code: number): CatalogueEntry | undefined => CATALOGUE[code];
