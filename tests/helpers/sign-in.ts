/**
 * Drives the tenant emulator's sign-in pages over plain HTTP, as a browser would: follows redirects
 * inside the emulator, keeps its cookies, fills the sign-in form, answers the permissions prompt, and
 * returns the URL the emulator finally sends the browser to (the app's redirect URI with `code`, or with
 * `error`). No browser needed: the pages mark their step (`<main data-step>`) and errors (`data-aadsts`).
 *
 *   const url = await signInThroughPages(await cca.getAuthCodeUrl({...}), { username, password });
 *   const code = responseParams(url).get('code');
 */

import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair (RFC 7636, S256): send `challenge` to /authorize and `verifier` to /token. */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** Cookies per host, enough for the emulator's session cookie. */
export class CookieJar {
  readonly #cookies = new Map<string, Map<string, string>>();

  /** Remembers the Set-Cookie headers of a response to `url`. */
  store(url: URL, response: Response): void {
    const jar = this.#cookies.get(url.host) ?? new Map<string, string>();
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((attribute) => {
        const [key = '', val = ''] = attribute.split('=');
        const lower = key.trim().toLowerCase();
        return (lower === 'max-age' && Number(val) <= 0) || (lower === 'expires' && Date.parse(val) <= Date.now());
      });
      if (expired || value === '') jar.delete(name);
      else jar.set(name, value);
    }
    this.#cookies.set(url.host, jar);
  }

  /** The Cookie header for a request to `url`, if any cookie applies. */
  header(url: URL): string | undefined {
    const jar = this.#cookies.get(url.host);
    if (!jar?.size) return undefined;
    return [...jar].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** Cookie names for `url`'s host (e.g. to check a sign-out cleared the session). */
  names(url: URL): string[] {
    return [...(this.#cookies.get(url.host)?.keys() ?? [])];
  }

  clear(): void {
    this.#cookies.clear();
  }
}

/** The sign-in stopped on an error the user sees (wrong password, unknown user, unknown app, ...). */
export class SignInPageError extends Error {
  constructor(
    /** The AADSTS code the page shows, e.g. 50126. */
    readonly code: number | undefined,
    /** The page it stopped on: `signin`, `error`, `consent`, ... */
    readonly step: string,
    message: string,
  ) {
    super(message);
    this.name = 'SignInPageError';
  }
}

export interface SignInOptions {
  username: string;
  password: string;
  /** How to answer the permissions prompt if it appears (default `accept`). */
  consent?: 'accept' | 'decline';
  /** Tick "Consent on behalf of your organization" (offered to administrators only; throws if absent). */
  consentForOrganization?: boolean;
  /** Reuse a jar to keep the emulator's session between calls (for `prompt=none` afterwards). */
  jar?: CookieJar;
  /** Extra request headers (e.g. a browser's User-Agent). */
  headers?: Record<string, string>;
}

interface ParsedForm {
  action: string;
  fields: Map<string, string>;
  /** Submit buttons: name → values. */
  buttons: Map<string, string[]>;
  checkboxes: Map<string, string>;
}

const ENTITIES: Record<string, string> = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const unescape = (value: string): string => value.replace(/&(amp|lt|gt|quot|#39);/g, (entity) => ENTITIES[entity] ?? entity);

function attributes(tag: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const match of tag.matchAll(/([a-zA-Z_:][\w:.-]*)(?:="([^"]*)")?/g)) {
    if (match[1]) found.set(match[1].toLowerCase(), unescape(match[2] ?? ''));
  }
  return found;
}

function parseForm(html: string): ParsedForm | undefined {
  const open = /<form\b[^>]*>/i.exec(html);
  if (!open) return undefined;
  const end = html.indexOf('</form>', open.index);
  const inner = html.slice(open.index + open[0].length, end === -1 ? undefined : end);
  const form: ParsedForm = { action: attributes(open[0]).get('action') ?? '', fields: new Map(), buttons: new Map(), checkboxes: new Map() };
  for (const tag of inner.match(/<input\b[^>]*>/gi) ?? []) {
    const attrs = attributes(tag);
    const name = attrs.get('name');
    if (!name) continue;
    const type = (attrs.get('type') ?? 'text').toLowerCase();
    if (type === 'checkbox') form.checkboxes.set(name, attrs.get('value') ?? 'on');
    else form.fields.set(name, attrs.get('value') ?? '');
  }
  for (const tag of inner.match(/<button\b[^>]*>/gi) ?? []) {
    const attrs = attributes(tag);
    const name = attrs.get('name');
    if (name && (attrs.get('type') ?? 'submit') === 'submit') form.buttons.set(name, [...(form.buttons.get(name) ?? []), attrs.get('value') ?? '']);
  }
  return form;
}

const stepOf = (html: string): string | undefined => /<main[^>]*data-step="([^"]+)"/.exec(html)?.[1];
const aadstsOf = (html: string): number | undefined => {
  const code = /data-aadsts="(\d+)"/.exec(html)?.[1];
  return code ? Number(code) : undefined;
};
const errorText = (html: string): string => unescape(/<p class="error"[^>]*>([^<]*)<\/p>/.exec(html)?.[1] ?? 'the page shows an error');

/** `code`, `state`, `error`... of a response, whichever response_mode put them in the query or fragment. */
export function responseParams(url: URL): URLSearchParams {
  const params = new URLSearchParams(url.search);
  for (const [name, value] of new URLSearchParams(url.hash.replace(/^#/, ''))) params.append(name, value);
  return params;
}

/**
 * Signs in through the pages and returns the final redirect URL (outside the emulator). With
 * response_mode=form_post the returned URL is the form's action with the posted fields as its query.
 * Throws SignInPageError when a page stops the flow with an error (its `code` is the AADSTS number).
 */
export async function signInThroughPages(authorizeUrl: string | URL, options: SignInOptions): Promise<URL> {
  const jar = options.jar ?? new CookieJar();
  let url = new URL(authorizeUrl);
  const emulatorOrigin = url.origin;
  let body: URLSearchParams | undefined;
  let credentialsSent = false;

  for (let step = 0; step < 25; step++) {
    const headers: Record<string, string> = { ...options.headers };
    const cookie = jar.header(url);
    if (cookie) headers.cookie = cookie;
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method: body ? 'POST' : 'GET', headers, body, redirect: 'manual' });
    jar.store(url, response);
    if (response.status >= 300 && response.status < 400) {
      const location = new URL(response.headers.get('location') ?? '', url);
      if (location.origin !== emulatorOrigin) return location;
      url = location;
      body = undefined;
      continue;
    }
    const html = await response.text();
    const page = stepOf(html);
    const form = parseForm(html);
    const submit = (fields: Map<string, string>) => {
      url = new URL(form?.action ?? '', url);
      body = new URLSearchParams([...fields]);
    };
    switch (page) {
      case 'signin': {
        const code = aadstsOf(html);
        if (code !== undefined || credentialsSent) throw new SignInPageError(code, page, `sign-in failed: ${errorText(html)}`);
        if (!form) throw new SignInPageError(undefined, page, 'the sign-in page has no form');
        const fields = new Map(form.fields);
        fields.set('login', options.username);
        fields.set('passwd', options.password);
        credentialsSent = true;
        submit(fields);
        break;
      }
      case 'consent': {
        if (!form) throw new SignInPageError(undefined, page, 'the consent page has no form');
        const fields = new Map(form.fields);
        if (options.consentForOrganization) {
          const value = form.checkboxes.get('consent_for_org');
          if (value === undefined) throw new SignInPageError(undefined, page, `${options.username} is not offered "Consent on behalf of your organization"`);
          fields.set('consent_for_org', value);
        }
        fields.set('decision', options.consent ?? 'accept');
        submit(fields);
        break;
      }
      case 'admin-approval': {
        // "Return to the application without granting consent": the app receives the error.
        if (!form) throw new SignInPageError(aadstsOf(html), page, 'the admin approval page has no form');
        const fields = new Map(form.fields);
        fields.set('decision', form.buttons.get('decision')?.[0] ?? 'return');
        submit(fields);
        break;
      }
      case 'form_post': {
        if (!form) throw new SignInPageError(undefined, page, 'the form_post page has no form');
        const target = new URL(form.action);
        for (const [name, value] of form.fields) target.searchParams.append(name, value);
        return target;
      }
      case 'error':
        throw new SignInPageError(aadstsOf(html), page, errorText(html));
      default:
        throw new SignInPageError(aadstsOf(html), page ?? 'unknown', `unexpected answer ${response.status} from ${url.pathname}: ${html.slice(0, 200)}`);
    }
  }
  throw new Error('sign-in did not finish within 25 requests');
}

/**
 * Follows a `prompt=none` (or any non-interactive) authorize URL with the jar's session and returns the
 * redirect to the app. Throws SignInPageError if the emulator shows a page instead.
 */
export async function authorizeSilently(authorizeUrl: string | URL, jar: CookieJar): Promise<URL> {
  const url = new URL(authorizeUrl);
  const cookie = jar.header(url);
  const response = await fetch(url, { headers: cookie ? { cookie } : {}, redirect: 'manual' });
  jar.store(url, response);
  const location = response.headers.get('location');
  if (response.status >= 300 && response.status < 400 && location) return new URL(location, url);
  const html = await response.text();
  throw new SignInPageError(aadstsOf(html), stepOf(html) ?? 'unknown', `expected a redirect, got ${response.status} (${stepOf(html) ?? 'no page'})`);
}
