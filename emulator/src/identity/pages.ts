import type { AadstsDescription } from './errors.ts';
import type { PermissionLine } from './scopes.ts';

/**
 * The HTML pages of the emulated sign-in: account and password, permissions prompt, "Need admin approval",
 * and error pages. They imitate the steps of Entra's pages (application-consent-experience), not their
 * looks. Each page's <main> carries `data-step` and error messages carry `data-aadsts`, so tests can drive
 * them over plain HTTP (tests/helpers/sign-in.ts) as well as in a browser.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (char) => ESCAPES[char] ?? char);

const STYLE = `
  body { font-family: "Segoe UI", system-ui, sans-serif; background: #f2f2f2; margin: 0; color: #1b1b1b; }
  main { max-width: 440px; margin: 48px auto; background: #fff; padding: 32px 40px; box-shadow: 0 2px 6px rgba(0,0,0,.2); }
  h1 { font-size: 24px; font-weight: 600; margin: 8px 0 16px; }
  .brand { font-size: 13px; color: #605e5c; letter-spacing: .02em; }
  label { display: block; margin: 12px 0 4px; font-size: 14px; }
  input[type=text], input[type=email], input[type=password] { width: 100%; box-sizing: border-box; padding: 6px 0; border: 0; border-bottom: 1px solid #666; font-size: 15px; }
  .actions { display: flex; gap: 8px; justify-content: flex-end; margin-top: 24px; }
  button { min-width: 108px; padding: 6px 12px; font-size: 15px; border: 1px solid #8a8886; background: #fff; cursor: pointer; }
  button.primary { background: #0067b8; border-color: #0067b8; color: #fff; }
  .error { color: #a80000; font-size: 14px; }
  .accounts { list-style: none; padding: 0; margin: 8px 0 0; }
  .accounts button { width: 100%; text-align: left; border: 0; border-bottom: 1px solid #edebe9; padding: 8px 4px; }
  .accounts small, .muted { color: #605e5c; font-size: 12px; }
  .permissions li { margin: 8px 0; }
  .details { font-size: 12px; color: #605e5c; word-break: break-all; }
`;

function layout(title: string, step: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main data-step="${step}"><div class="brand">Microsoft (tenant emulator)</div>${body}</main></body></html>`;
}

const hidden = (name: string, value: string): string => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`;

export interface AccountTile {
  upn: string;
  displayName: string;
  note?: string;
}

export function signInPage(input: {
  action: string;
  ctx: string;
  organization?: string;
  login?: string;
  accounts: AccountTile[];
  error?: AadstsDescription;
}): string {
  const error = input.error
    ? `<p class="error" role="alert" data-aadsts="${input.error.code}">AADSTS${input.error.code}: ${escapeHtml(input.error.message)}</p>`
    : '';
  const tiles = input.accounts.length
    ? `<p class="muted">Seeded accounts (all share the tenant's password):</p><ul class="accounts">${input.accounts
        .map(
          (account) =>
            `<li><button type="button" data-upn="${escapeHtml(account.upn)}">${escapeHtml(account.displayName)}<br><small>${escapeHtml(account.upn)}${account.note ? ` · ${escapeHtml(account.note)}` : ''}</small></button></li>`,
        )
        .join('')}</ul>`
    : '';
  return layout(
    'Sign in to your account',
    'signin',
    `<h1>Sign in</h1>${input.organization ? `<p class="muted">${escapeHtml(input.organization)}</p>` : ''}${error}
<form method="post" action="${escapeHtml(input.action)}">${hidden('ctx', input.ctx)}
<label for="login">Email, phone, or Skype</label><input id="login" name="login" type="email" autocomplete="username" value="${escapeHtml(input.login ?? '')}" required>
<label for="passwd">Password</label><input id="passwd" name="passwd" type="password" autocomplete="current-password">
<div class="actions"><button class="primary" type="submit">Sign in</button></div></form>${tiles}
<script>for (const b of document.querySelectorAll('[data-upn]')) b.addEventListener('click', () => { document.getElementById('login').value = b.dataset.upn; document.getElementById('passwd').focus(); });</script>`,
  );
}

function permissionList(permissions: PermissionLine[]): string {
  return `<ul class="permissions">${permissions
    .map(
      (line) =>
        `<li data-scope="${escapeHtml(line.key)}"><strong>${escapeHtml(line.title)}</strong>${line.application ? ' <small class="muted">(application)</small>' : ''}${line.adminOnly && !line.application ? ' <small class="muted">(admin consent required)</small>' : ''}<br><span class="muted">${escapeHtml(line.description)}</span></li>`,
    )
    .join('')}</ul>`;
}

export function consentPage(input: {
  action: string;
  ctx: string;
  appName: string;
  publisher: string;
  user: string;
  permissions: PermissionLine[];
  /** Offer "Consent on behalf of your organization" (administrators in the user-consent flow). */
  offerOrganization: boolean;
  /** The admin-consent endpoint: consent is always for the organization. */
  forOrganization: boolean;
}): string {
  const org = input.offerOrganization
    ? `<label><input type="checkbox" name="consent_for_org" value="true"> Consent on behalf of your organization</label>`
    : '';
  return layout(
    'Permissions requested',
    'consent',
    `<p class="muted">${escapeHtml(input.user)}</p><h1>Permissions requested${input.forOrganization ? ' — review for your organization' : ''}</h1>
<p><strong>${escapeHtml(input.appName)}</strong><br><span class="muted">unverified · registered in ${escapeHtml(input.publisher)}</span></p>
<p>This app would like to:</p>${permissionList(input.permissions)}
<form method="post" action="${escapeHtml(input.action)}">${hidden('ctx', input.ctx)}${org}
<p class="muted">Accepting these permissions means that you allow this app to use your data as specified in their terms of service and privacy statement.</p>
<div class="actions"><button type="submit" name="decision" value="decline">Cancel</button><button class="primary" type="submit" name="decision" value="accept">Accept</button></div></form>`,
  );
}

/** Shown when a user who is not an administrator asks for permissions only an administrator can grant (AADSTS90094). */
export function adminApprovalPage(input: { action: string; ctx: string; appName: string; user: string; permissions: PermissionLine[]; error: AadstsDescription }): string {
  return layout(
    'Need admin approval',
    'admin-approval',
    `<p class="muted">${escapeHtml(input.user)}</p><h1>Need admin approval</h1>
<p><strong>${escapeHtml(input.appName)}</strong> needs permission to access resources in your organization that only an admin can grant. Please ask an admin to grant permission to this app before you can use it.</p>
${permissionList(input.permissions)}
<p class="error" data-aadsts="${input.error.code}">AADSTS${input.error.code}: ${escapeHtml(input.error.message)}</p>
<form method="post" action="${escapeHtml(input.action)}">${hidden('ctx', input.ctx)}
<div class="actions"><button type="submit" name="decision" value="return">Return to the application without granting consent</button></div></form>`,
  );
}

export interface TraceLines {
  traceId: string;
  correlationId: string;
  timestamp: string;
}

/** The page shown when the app cannot be trusted with a redirect (unknown tenant, app, or redirect URI). */
export function errorPage(error: AadstsDescription, trace: TraceLines): string {
  return layout(
    'Sign in error',
    'error',
    `<h1>Sorry, but we're having trouble signing you in.</h1>
<p class="error" data-aadsts="${error.code}">AADSTS${error.code}: ${escapeHtml(error.message)}</p>
<p><strong>Fix:</strong> ${escapeHtml(error.fix)}</p>
<p class="details">Request Id: ${escapeHtml(trace.traceId)}<br>Correlation Id: ${escapeHtml(trace.correlationId)}<br>Timestamp: ${escapeHtml(trace.timestamp)}<br>Error code: ${error.code} (${escapeHtml(error.title)})</p>`,
  );
}

/** response_mode=form_post: a page that posts the response to the redirect URI (OAuth 2.0 Form Post Response Mode). */
export function formPostPage(action: string, fields: Record<string, string>): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Working...</title></head>
<body><main data-step="form_post"><form method="post" action="${escapeHtml(action)}">${Object.entries(fields)
    .map(([name, value]) => hidden(name, value))
    .join('')}<noscript><p>Script is disabled. Click Submit to continue.</p><button type="submit">Submit</button></noscript></form></main>
<script>document.forms[0].submit();</script></body></html>`;
}

export function signedOutPage(): string {
  return layout('Sign out', 'signed-out', '<h1>You signed out of your account</h1><p>It\'s a good idea to close all browser windows.</p>');
}

/** `/error?code=N`, the lookup page error_uri points to (reference-error-codes, "Lookup current error code information"). */
export function errorLookupPage(error: AadstsDescription): string {
  return layout(
    `AADSTS${error.code}`,
    'error-lookup',
    `<h1>AADSTS${error.code}</h1><p><strong>${escapeHtml(error.title)}</strong></p><p>${escapeHtml(error.message)}</p><p><strong>Fix:</strong> ${escapeHtml(error.fix)}</p>`,
  );
}
