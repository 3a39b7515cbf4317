import { FIELD_CHOICES } from './contact-format.ts';
import type { Cloud, OptionsDeps, SettingKey, Settings, SetupStarted } from './deps.ts';
import { append, h, replaceChildren } from './dom.ts';
import { messageOf } from './message-of.ts';
import { CLOUD_CHOICES, isGuid, originsToRequest, type SetupField, type SetupForm, type SetupValues, validateAuthorityHost, validateClientId, validateProxyUrl, validateSecret, validateSetup, validateTenant, webRedirectUri } from './options-validation.ts';
import { describeStatusFailure, describeTenantStatus, type StatusView } from './tenant-status.ts';

/**
 * The options page: the admin's tenant setup (Save and Authorize, then the live status from the proxy)
 * and the employee's preferences. Values pushed by policy are shown disabled with a note. The client
 * secret lives only in its input: it goes to the proxy's POST /api/azure/setup once and is never handed
 * to the settings store (design.md flow 1).
 */
export interface OptionsPageOptions {
  /** Status refresh while the page is visible. */
  pollMs?: number;
}

export interface OptionsController {
  ready: Promise<void>;
  /** Resolves when the current Save and Authorize (if any) has finished. */
  idle(): Promise<void>;
  destroy(): void;
}

export const SYNC_INTERVALS: readonly { minutes: number; label: string }[] = [
  { minutes: 5, label: 'Every 5 minutes' },
  { minutes: 15, label: 'Every 15 minutes' },
  { minutes: 30, label: 'Every 30 minutes' },
  { minutes: 60, label: 'Every hour' },
  { minutes: 240, label: 'Every 4 hours' },
  { minutes: 1440, label: 'Once a day' },
];

const MANAGED_NOTE = 'Set by your organisation';
/** The setup values that are settings (the secret is not one). */
type SetupSettingKey = 'cloud' | 'authorityHost' | 'proxyUrl' | 'tenantId' | 'clientId' | 'graphAuth';

/** In the order they appear: the first invalid one gets focus. */
const SETUP_FIELDS = ['cloud', 'authorityHost', 'proxyUrl', 'tenantId', 'clientId', 'graphAuth', 'clientSecret'] as const satisfies readonly SetupField[];

type Control = HTMLInputElement | HTMLSelectElement;

interface FieldParts {
  wrapper: HTMLElement;
  control: Control;
  error: HTMLElement;
  managedNote: HTMLElement;
}

export function mountOptions(root: HTMLElement, deps: OptionsDeps, options: OptionsPageOptions = {}): OptionsController {
  const doc = root.ownerDocument;
  const pollMs = options.pollMs ?? 3000;
  let managed: ReadonlySet<SettingKey> = new Set();
  let destroyed = false;
  let flow: Promise<void> = Promise.resolve();
  let busy = false;
  let pollTarget: { proxyUrl: string; tenantId: string } | null = null;
  let pollGeneration = 0;
  let pollTimer: ReturnType<typeof setTimeout> | undefined;

  // ---- Field helpers

  const fields = new Map<string, FieldParts>();
  function field(key: string, labelText: string, control: Control, hint?: string): FieldParts {
    const id = `opt-${key}`;
    control.id = id;
    control.setAttribute('data-testid', `field-${key}`);
    const hintElement = hint ? h(doc, 'p', { id: `${id}-hint`, class: 'hint' }, hint) : null;
    const error = h(doc, 'p', { id: `${id}-error`, class: 'field-error', 'data-testid': `error-${key}`, hidden: true });
    const managedNote = h(doc, 'p', { id: `${id}-managed`, class: 'managed-note', 'data-testid': `managed-${key}`, hidden: true }, h(doc, 'span', { 'aria-hidden': 'true' }, '🔒 '), MANAGED_NOTE);
    control.setAttribute('aria-describedby', [hintElement ? `${id}-hint` : '', `${id}-error`, `${id}-managed`].filter(Boolean).join(' '));
    const wrapper = h(doc, 'div', { class: 'field', 'data-field': key }, h(doc, 'label', { for: id }, labelText), control, hintElement, managedNote, error);
    const parts = { wrapper, control, error, managedNote };
    fields.set(key, parts);
    return parts;
  }

  function setError(key: string, message: string | null): void {
    const parts = fields.get(key);
    if (!parts) return;
    replaceChildren(parts.error, message ?? '');
    parts.error.hidden = !message;
    if (message) parts.control.setAttribute('aria-invalid', 'true');
    else parts.control.removeAttribute('aria-invalid');
  }

  function lock(key: SettingKey): void {
    const parts = fields.get(key);
    if (!parts) return;
    parts.control.disabled = true;
    parts.control.setAttribute('data-managed', 'true');
    parts.managedNote.hidden = false;
  }

  const input = (attributes: Record<string, string>): HTMLInputElement => h(doc, 'input', { type: 'text', spellcheck: 'false', autocapitalize: 'off', ...attributes });
  const select = (choices: readonly { value: string; label: string }[]): HTMLSelectElement => h(doc, 'select', {}, ...choices.map((choice) => h(doc, 'option', { value: choice.value }, choice.label)));

  // ---- Admin setup

  const cloud = field('cloud', 'Cloud', select(CLOUD_CHOICES), 'Where your Microsoft Entra tenant lives.');
  const authorityHost = field('authorityHost', 'Authority host', input({ type: 'url', inputmode: 'url', placeholder: 'https://localhost:8443' }), 'The identity platform’s address (https://host[:port]); for the emulator, the url it prints.');
  const proxyUrl = field('proxyUrl', 'Proxy URL', input({ type: 'url', inputmode: 'url', placeholder: 'https://peoplebook.contoso.com' }), 'Your Peoplebook proxy. https:// (http:// only for localhost).');
  const tenant = field('tenantId', 'Tenant', input({ placeholder: 'contoso.onmicrosoft.com or 00000000-0000-0000-0000-000000000000' }), 'The tenant ID (a GUID) or a verified domain.');
  const clientId = field('clientId', 'Application (client) ID', input({ placeholder: '00000000-0000-0000-0000-000000000000' }), 'From the app registration’s Overview page.');
  const graphAuth = field(
    'graphAuth',
    'Directory access',
    select([
      { value: 'delegated', label: 'Delegated: the administrator’s consent (User.Read.All)' },
      { value: 'application', label: 'Application permission (User.Read.All granted to the app)' },
    ]),
  );
  const secret = field('clientSecret', 'Client secret', input({ type: 'password', autocomplete: 'off' }), 'The secret’s Value from Certificates & secrets. Sent once to your proxy over HTTPS and never stored in the browser.');

  const webRedirect = h(doc, 'code', { 'data-testid': 'redirect-web' });
  const spaRedirect = h(doc, 'code', { 'data-testid': 'redirect-spa' }, deps.redirectUrl());
  const copyButton = (testid: string, label: string, value: () => string | null): HTMLButtonElement => {
    const button = h(doc, 'button', { type: 'button', class: 'button small', 'data-testid': testid, 'aria-label': label }, 'Copy');
    button.addEventListener('click', () => {
      const text = value();
      if (!text) return setMessage(setupMessage, 'error', 'Enter a valid proxy URL first.');
      deps.copyText(text).then(
        () => setMessage(setupMessage, 'ok', `Copied ${text}`),
        (error: unknown) => setMessage(setupMessage, 'error', `Couldn't copy: ${messageOf(error)}`),
      );
    });
    return button;
  };
  const redirects = h(
    doc,
    'section',
    { class: 'redirects', 'aria-labelledby': 'opt-redirects-heading', 'data-testid': 'redirect-uris' },
    h(doc, 'h3', { id: 'opt-redirects-heading' }, 'Redirect URIs to register'),
    h(doc, 'p', { class: 'hint' }, 'In the Microsoft Entra admin center > App registrations > your app > Authentication, add both:'),
    h(
      doc,
      'dl',
      {},
      h(doc, 'div', { class: 'redirect' }, h(doc, 'dt', {}, 'Web'), h(doc, 'dd', {}, webRedirect, ' ', copyButton('copy-redirect-web', 'Copy the Web redirect URI', () => webRedirectUri(proxyUrl.control.value)))),
      h(doc, 'div', { class: 'redirect' }, h(doc, 'dt', {}, 'Single-page application'), h(doc, 'dd', {}, spaRedirect, ' ', copyButton('copy-redirect-spa', 'Copy the single-page application redirect URI', () => deps.redirectUrl()))),
    ),
  );

  const saveButton = h(doc, 'button', { type: 'submit', class: 'button primary', 'data-testid': 'save-authorize' }, 'Save and Authorize');
  const setupMessage = h(doc, 'p', { class: 'message', role: 'status', 'data-testid': 'setup-message' });
  const form = h(doc, 'form', { class: 'setup-form', novalidate: true, 'data-testid': 'setup-form', 'aria-labelledby': 'opt-admin-heading' }, cloud.wrapper, authorityHost.wrapper, proxyUrl.wrapper, tenant.wrapper, clientId.wrapper, graphAuth.wrapper, secret.wrapper, redirects, h(doc, 'div', { class: 'actions' }, saveButton), setupMessage);

  const statusHeadline = h(doc, 'p', { class: 'status-headline', 'data-testid': 'status-headline' }, 'Not connected yet.');
  const statusRows = h(doc, 'dl', { class: 'status-rows', 'data-testid': 'status-rows' });
  const statusProblem = h(doc, 'div', { class: 'status-problem', 'data-testid': 'status-problem', hidden: true });
  const statusPanel = h(doc, 'section', { class: 'status', 'aria-labelledby': 'opt-status-heading', 'aria-live': 'polite', 'data-testid': 'tenant-status', 'data-tone': 'unknown' }, h(doc, 'h3', { id: 'opt-status-heading' }, 'Connection status'), statusHeadline, statusRows, statusProblem);

  // ---- Employee preferences

  const interval = field(
    'syncIntervalMinutes',
    'Sync the directory',
    select(SYNC_INTERVALS.map((choice) => ({ value: String(choice.minutes), label: choice.label }))),
  );
  const fieldBoxes = FIELD_CHOICES.map((choice) => {
    const box = h(doc, 'input', { type: 'checkbox', id: `opt-fieldsShown-${choice.key}`, value: choice.key, 'data-testid': `field-fieldsShown-${choice.key}` });
    return { key: choice.key, box, label: h(doc, 'label', { class: 'check' }, box, ` ${choice.label}`) };
  });
  const fieldsError = h(doc, 'p', { class: 'field-error', 'data-testid': 'error-fieldsShown', hidden: true });
  const fieldsManaged = h(doc, 'p', { class: 'managed-note', 'data-testid': 'managed-fieldsShown', hidden: true }, h(doc, 'span', { 'aria-hidden': 'true' }, '🔒 '), MANAGED_NOTE);
  const fieldsSet = h(doc, 'fieldset', { class: 'fields-shown', 'data-testid': 'field-fieldsShown' }, h(doc, 'legend', {}, 'Show on contact cards'), ...fieldBoxes.map((item) => item.label), fieldsManaged, fieldsError);
  const autofillBox = h(doc, 'input', { type: 'checkbox' });
  const autofill = field('autofillEnabled', '', autofillBox);
  // A checkbox reads best with its label after it.
  const autofillLabel = autofill.wrapper.querySelector('label');
  if (autofillLabel) {
    autofillLabel.classList.add('check');
    append(autofillLabel, [autofillBox, ' Offer to fill colleagues’ details into web forms']);
  }
  const prefsMessage = h(doc, 'p', { class: 'message', role: 'status', 'data-testid': 'preferences-message' });

  const page = h(
    doc,
    'main',
    { class: 'options', 'data-testid': 'options' },
    h(doc, 'h1', {}, 'Peoplebook settings'),
    h(
      doc,
      'section',
      { class: 'panel', 'aria-labelledby': 'opt-admin-heading', 'data-testid': 'admin-setup' },
      h(doc, 'h2', { id: 'opt-admin-heading' }, 'Connect your organisation'),
      h(doc, 'p', { class: 'hint' }, 'For administrators: register one app in Microsoft Entra ID, then enter its details here. Save and Authorize opens Microsoft’s sign-in, where a Global Administrator consents once for everyone.'),
      form,
      statusPanel,
    ),
    h(doc, 'section', { class: 'panel', 'aria-labelledby': 'opt-prefs-heading', 'data-testid': 'employee-settings' }, h(doc, 'h2', { id: 'opt-prefs-heading' }, 'Your preferences'), interval.wrapper, fieldsSet, autofill.wrapper, prefsMessage),
  );
  replaceChildren(root, page);

  // ---- Behaviour

  const showAuthority = (): void => {
    authorityHost.wrapper.hidden = cloud.control.value !== 'custom';
  };
  const showWebRedirect = (): void => {
    replaceChildren(webRedirect, webRedirectUri(proxyUrl.control.value) ?? '(enter the proxy URL above)');
  };
  cloud.control.addEventListener('change', showAuthority);
  proxyUrl.control.addEventListener('input', showWebRedirect);

  // Inline checks when a field is left, and cleared as soon as it is right.
  const checks: Partial<Record<SetupField, (value: string) => string | null>> = {
    authorityHost: validateAuthorityHost,
    proxyUrl: validateProxyUrl,
    tenantId: validateTenant,
    clientId: validateClientId,
    clientSecret: validateSecret,
  };
  for (const [key, check] of Object.entries(checks) as [SetupField, (value: string) => string | null][]) {
    const control = fields.get(key)?.control;
    control?.addEventListener('change', () => setError(key, control.value === '' && key === 'clientSecret' ? null : check(control.value)));
    control?.addEventListener('input', () => {
      if (control.getAttribute('aria-invalid') === 'true' && check(control.value) === null) setError(key, null);
    });
  }

  const readForm = (): SetupForm => ({
    cloud: cloud.control.value,
    authorityHost: authorityHost.control.value,
    proxyUrl: proxyUrl.control.value,
    tenantId: tenant.control.value,
    clientId: clientId.control.value,
    clientSecret: secret.control.value,
    graphAuth: graphAuth.control.value,
  });

  form.addEventListener('submit', (event) => event.preventDefault());
  // permissions.request must run in the click's task (Firefox refuses it outside a user-input handler,
  // https://developer.mozilla.org/docs/Mozilla/Add-ons/WebExtensions/API/permissions/request), so
  // everything before it is synchronous. Enter in a field clicks the submit button, so it lands here too.
  saveButton.addEventListener('click', (event) => {
    event.preventDefault();
    if (busy) return;
    const result = validateSetup(readForm());
    const errors = result.ok ? {} : result.errors;
    for (const key of SETUP_FIELDS) setError(key, errors[key] ?? null);
    if (!result.ok) {
      const first = SETUP_FIELDS.find((key) => errors[key]);
      if (first) fields.get(first)?.control.focus();
      setMessage(setupMessage, 'error', 'Fix the fields marked above, then choose Save and Authorize again.');
      return;
    }
    const origins = originsToRequest(result.values);
    const granted = deps.requestOrigins(origins);
    flow = authorize(result.values, origins, granted);
  });

  async function authorize(values: SetupValues, origins: string[], granted: Promise<boolean>): Promise<void> {
    busy = true;
    saveButton.disabled = true;
    try {
      let allowed = false;
      try {
        allowed = await granted;
      } catch {
        allowed = false;
      }
      if (!allowed) {
        setMessage(setupMessage, 'error', `Peoplebook needs your permission to reach ${origins.map((origin) => origin.replace(/\/\*$/, '')).join(' and ')}. Choose Save and Authorize again and allow it.`);
        return;
      }
      setMessage(setupMessage, 'pending', 'Saving…');
      // The secret is deliberately not in this patch: it never reaches extension storage.
      const patch: Partial<Settings> = {};
      const write = <K extends SetupSettingKey>(key: K, value: Settings[K]): void => {
        if (!managed.has(key)) patch[key] = value;
      };
      write('cloud', values.cloud);
      write('authorityHost', values.authorityHost);
      write('proxyUrl', values.proxyUrl);
      write('tenantId', values.tenantId);
      write('clientId', values.clientId);
      write('graphAuth', values.graphAuth);
      try {
        await deps.settings.save(patch);
      } catch (error) {
        const key = (error as { key?: unknown }).key;
        if (typeof key === 'string' && fields.has(key)) setError(key, messageOf(error));
        setMessage(setupMessage, 'error', `Couldn't save the settings: ${messageOf(error)}`);
        return;
      }
      setMessage(setupMessage, 'pending', 'Contacting the proxy…');
      let started: SetupStarted;
      try {
        started = await deps.proxy(values.proxyUrl).setup({ cloud: values.cloud, tenant: values.tenantId, clientId: values.clientId, clientSecret: values.clientSecret, graphAuth: values.graphAuth });
      } catch (error) {
        setMessage(setupMessage, 'error', `The proxy refused the setup: ${messageOf(error)}`);
        return;
      }
      if (destroyed) return;
      secret.control.value = ''; // sent once; nothing keeps it
      // The proxy resolved a domain to the tenant's GUID: remember the GUID (the status and the token's `tid` use it).
      if (started.tenantId !== values.tenantId && !managed.has('tenantId') && isGuid(started.tenantId)) {
        tenant.control.value = started.tenantId;
        await deps.settings.save({ tenantId: started.tenantId }).catch(() => undefined);
      }
      deps.openTab(started.authorizeUrl);
      setMessage(setupMessage, 'ok', 'Sign in as a Global Administrator in the tab that opened and accept the permissions. The status below follows along.');
      startPolling(values.proxyUrl, started.tenantId);
    } finally {
      busy = false;
      saveButton.disabled = false;
    }
  }

  // ---- Status polling (only while the page is visible: a hidden tab needn't load the proxy)

  function startPolling(url: string, tenantId: string): void {
    pollTarget = { proxyUrl: url, tenantId };
    void pollOnce();
  }

  async function pollOnce(): Promise<void> {
    clearTimeout(pollTimer);
    const generation = ++pollGeneration;
    const target = pollTarget;
    if (!target || destroyed || doc.visibilityState === 'hidden') return;
    let view: StatusView;
    try {
      const status = await deps.proxy(target.proxyUrl).status(target.tenantId);
      view = describeTenantStatus(status, deps.now());
    } catch (error) {
      view = describeStatusFailure(error as { code?: string; message?: string }, target.proxyUrl);
    }
    if (generation !== pollGeneration || destroyed) return; // a newer poll owns the panel
    renderStatus(view);
    pollTimer = setTimeout(() => void pollOnce(), pollMs);
  }

  function renderStatus(view: StatusView): void {
    statusPanel.setAttribute('data-tone', view.tone);
    replaceChildren(statusHeadline, view.headline);
    replaceChildren(statusRows, ...view.rows.map(([label, value]) => h(doc, 'div', {}, h(doc, 'dt', {}, label), h(doc, 'dd', {}, value))));
    if (view.problem) {
      replaceChildren(statusProblem, h(doc, 'p', { class: 'problem-message', 'data-testid': 'status-error' }, view.problem.message), h(doc, 'p', { class: 'problem-fix', 'data-testid': 'status-fix' }, h(doc, 'strong', {}, 'To fix: '), view.problem.fix));
      statusProblem.hidden = false;
    } else {
      replaceChildren(statusProblem);
      statusProblem.hidden = true;
    }
  }

  const onVisibility = (): void => {
    if (doc.visibilityState === 'hidden') clearTimeout(pollTimer);
    else void pollOnce();
  };
  doc.addEventListener('visibilitychange', onVisibility);

  // ---- Preferences: saved as soon as they change

  async function savePreference(key: SettingKey, values: Partial<Settings>, error: HTMLElement): Promise<void> {
    try {
      await deps.settings.save(values);
      replaceChildren(error);
      error.hidden = true;
      setMessage(prefsMessage, 'ok', 'Saved.');
    } catch (failure) {
      replaceChildren(error, messageOf(failure));
      error.hidden = false;
      setMessage(prefsMessage, 'error', `Couldn't save ${key}.`);
    }
  }
  interval.control.addEventListener('change', () => void savePreference('syncIntervalMinutes', { syncIntervalMinutes: Number(interval.control.value) }, interval.error));
  for (const { box } of fieldBoxes) {
    box.addEventListener('change', () => void savePreference('fieldsShown', { fieldsShown: fieldBoxes.filter((item) => item.box.checked).map((item) => item.key) }, fieldsError));
  }
  autofillBox.addEventListener('change', () => void savePreference('autofillEnabled', { autofillEnabled: autofillBox.checked }, autofill.error));

  // ---- Load

  const ready = (async () => {
    let values: Settings;
    try {
      const loaded = await deps.settings.load();
      values = loaded.values;
      managed = loaded.managed;
    } catch (error) {
      setMessage(setupMessage, 'error', `Couldn't read the settings: ${messageOf(error)}`);
      return;
    }
    if (destroyed) return;
    cloud.control.value = values.cloud satisfies Cloud;
    authorityHost.control.value = values.authorityHost ?? '';
    proxyUrl.control.value = values.proxyUrl ?? '';
    tenant.control.value = values.tenantId ?? '';
    clientId.control.value = values.clientId ?? '';
    graphAuth.control.value = values.graphAuth;
    const minutes = String(values.syncIntervalMinutes);
    if (!SYNC_INTERVALS.some((choice) => String(choice.minutes) === minutes)) interval.control.appendChild(h(doc, 'option', { value: minutes }, `Every ${minutes} minutes`));
    interval.control.value = minutes;
    for (const { key, box } of fieldBoxes) box.checked = values.fieldsShown.includes(key);
    autofillBox.checked = values.autofillEnabled;
    for (const key of managed) lock(key);
    if (managed.has('fieldsShown')) {
      for (const { box } of fieldBoxes) box.disabled = true;
      fieldsManaged.hidden = false;
    }
    showAuthority();
    showWebRedirect();
    if (values.proxyUrl && values.tenantId && isGuid(values.tenantId) && validateProxyUrl(values.proxyUrl) === null) startPolling(values.proxyUrl, values.tenantId);
    else if (values.proxyUrl && values.tenantId) renderStatus({ tone: 'unknown', headline: 'Not connected yet: choose Save and Authorize.', rows: [], problem: null });
  })();

  return {
    ready,
    idle: async () => {
      await ready;
      await flow;
    },
    destroy() {
      destroyed = true;
      clearTimeout(pollTimer);
      doc.removeEventListener('visibilitychange', onVisibility);
    },
  };
}

function setMessage(element: HTMLElement, tone: 'ok' | 'pending' | 'error', text: string): void {
  element.setAttribute('data-tone', tone);
  element.setAttribute('role', tone === 'error' ? 'alert' : 'status');
  replaceChildren(element, text);
}
