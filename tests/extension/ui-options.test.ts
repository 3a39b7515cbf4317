// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { mountOptions, type OptionsController } from '../../extension/lib/ui/options-page.ts';
import { originsToRequest, type SetupForm, validateSetup, webRedirectUri } from '../../extension/lib/ui/options-validation.ts';
import { describeStatusFailure, describeTenantStatus } from '../../extension/lib/ui/tenant-status.ts';
import { activeStatus, DEFAULT_SETTINGS, fakeOptionsDeps, flush, NOW } from './ui-fakes.ts';

const GOOD: SetupForm = {
  cloud: 'global',
  authorityHost: '',
  proxyUrl: 'https://peoplebook.contoso.example/',
  tenantId: 'Contoso.onmicrosoft.com',
  clientId: '66666666-7777-4888-8999-00000000000A',
  clientSecret: 'abc8Q~secret-value',
  graphAuth: 'delegated',
};

describe('setup form validation', () => {
  it.each<[string, Partial<SetupForm>, Partial<Record<keyof SetupForm, RegExp>>]>([
    ['a complete form', {}, {}],
    ['http on localhost (the demo)', { proxyUrl: 'http://localhost:8787' }, {}],
    ['http on 127.0.0.1', { proxyUrl: 'http://127.0.0.1:8787/' }, {}],
    ['a tenant GUID', { tenantId: '11111111-2222-4333-8444-555555555555' }, {}],
    ['custom cloud with its host', { cloud: 'custom', authorityHost: 'https://localhost:8443' }, {}],
    ['no proxy URL', { proxyUrl: '' }, { proxyUrl: /Enter the address of your Peoplebook proxy/ }],
    ['not a URL', { proxyUrl: 'peoplebook' }, { proxyUrl: /starting with https:\/\// }],
    ['http on a non-local host', { proxyUrl: 'http://peoplebook.contoso.example' }, { proxyUrl: /Use https:\/\/ for peoplebook\.contoso\.example.*only allowed for localhost/ }],
    ['ftp', { proxyUrl: 'ftp://peoplebook.contoso.example' }, { proxyUrl: /starting with https:\/\// }],
    ['credentials in the URL', { proxyUrl: 'https://admin:pw@peoplebook.contoso.example' }, { proxyUrl: /user name and password/ }],
    ['a query in the URL', { proxyUrl: 'https://peoplebook.contoso.example/?x=1' }, { proxyUrl: /query/ }],
    ['a malformed GUID tenant', { tenantId: '11111111-2222-4333-8444-55555555555' }, { tenantId: /not a GUID/ }],
    ['common is not a tenant', { tenantId: 'common' }, { tenantId: /any organisation/ }],
    ['a tenant with spaces', { tenantId: 'contoso corp' }, { tenantId: /tenant ID \(a GUID\) or a verified domain/ }],
    ['a bad client ID', { clientId: 'my-app' }, { clientId: /is a GUID/ }],
    ['no secret', { clientSecret: '' }, { clientSecret: /secret’s Value/ }],
    ['the Secret ID instead of its value', { clientSecret: '11111111-2222-4333-8444-555555555555' }, { clientSecret: /Secret ID/ }],
    ['custom cloud without a host', { cloud: 'custom', authorityHost: '' }, { authorityHost: /Enter the authority host/ }],
    ['custom cloud over http', { cloud: 'custom', authorityHost: 'http://localhost:8443' }, { authorityHost: /must start with https/ }],
    ['custom cloud with a path', { cloud: 'custom', authorityHost: 'https://localhost:8443/tenant' }, { authorityHost: /no path/ }],
    ['an unknown cloud', { cloud: 'mars' }, { cloud: /Choose the cloud/ }],
  ])('%s', (_name, change, expected) => {
    const result = validateSetup({ ...GOOD, ...change });
    if (Object.keys(expected).length === 0) {
      expect(result).toMatchObject({ ok: true });
      return;
    }
    expect(result.ok).toBe(false);
    const errors = result.ok ? {} : result.errors;
    expect(Object.keys(errors).sort()).toEqual(Object.keys(expected).sort());
    for (const [field, pattern] of Object.entries(expected)) expect(errors[field as keyof SetupForm]).toMatch(pattern);
  });

  it('cleans the values it accepts', () => {
    expect(validateSetup(GOOD)).toEqual({
      ok: true,
      values: { cloud: 'global', authorityHost: null, proxyUrl: 'https://peoplebook.contoso.example', tenantId: 'contoso.onmicrosoft.com', clientId: '66666666-7777-4888-8999-00000000000a', clientSecret: 'abc8Q~secret-value', graphAuth: 'delegated' },
    });
  });

  it.each([
    ['global', { proxyUrl: 'https://pb.contoso.example', cloud: 'global', authorityHost: null }, ['https://pb.contoso.example/*', 'https://login.microsoftonline.com/*']],
    ['usgov', { proxyUrl: 'https://pb.contoso.example', cloud: 'usgov', authorityHost: null }, ['https://pb.contoso.example/*', 'https://login.microsoftonline.us/*']],
    ['china', { proxyUrl: 'https://pb.contoso.example', cloud: 'china', authorityHost: null }, ['https://pb.contoso.example/*', 'https://login.chinacloudapi.cn/*']],
    ['the emulator', { proxyUrl: 'http://localhost:8787', cloud: 'custom', authorityHost: 'https://localhost:8443' }, ['http://localhost/*', 'https://localhost/*']],
  ] as const)('asks for the origins of the %s setup', (_name, values, expected) => {
    expect(originsToRequest(values)).toEqual(expected);
  });

  it.each([
    ['https://pb.contoso.example/', 'https://pb.contoso.example/api/azure/callback'],
    ['https://contoso.example/peoplebook', 'https://contoso.example/peoplebook/api/azure/callback'],
    ['http://pb.contoso.example', null],
    ['', null],
  ])('Web redirect URI for %j', (proxyUrl, expected) => {
    expect(webRedirectUri(proxyUrl)).toBe(expected);
  });
});

describe('tenant status wording', () => {
  it.each([
    ['active', activeStatus, 'ok', 'Connected.', null],
    ['pending consent', { ...activeStatus, state: 'pending', usersMirrored: 0 }, 'pending', 'Waiting for an administrator to sign in and consent in the tab that opened.', null],
    ['first sync', { ...activeStatus, syncing: true, usersMirrored: 0 }, 'ok', 'Connected: copying the directory for the first time…', null],
    ['error with fix', { ...activeStatus, state: 'error', lastError: { code: 'AADSTS7000215', message: 'Invalid client secret provided.', fix: 'Create a new client secret and enter its Value.', at: new Date(NOW).toISOString() } }, 'error', 'The connection needs attention.', 'Create a new client secret and enter its Value.'],
    ['missing permission', { ...activeStatus, missingPermissions: ['User.Read.All'] as string[] }, 'error', 'Connected.', /add User\.Read\.All/],
  ] as const)('%s', (_name, status, tone, headline, fix) => {
    const view = describeTenantStatus(status, NOW);
    expect(view.tone).toBe(tone);
    expect(view.headline).toBe(headline);
    if (fix === null) expect(view.problem).toBeNull();
    else expect(view.problem?.fix).toMatch(fix);
  });

  it('lists the figures an admin looks for', () => {
    expect(describeTenantStatus(activeStatus, NOW).rows).toEqual([
      ['Users mirrored', '5,000'],
      ['Last sync', '1 minute ago (ok)'],
      ['Next sync', 'in 14 min'],
      ['Directory access', 'delegated (admin’s consent)'],
      ['Client secret', 'expires in 200 days'],
    ]);
  });

  it.each([
    ['tenant_not_set_up', 'unknown', /not set up on the proxy yet/],
    ['proxy_unreachable', 'error', /Can't reach the proxy at https:\/\/pb\.example/],
    ['bad_response', 'error', /Couldn't read the status/],
  ])('reading it failed with %s', (code, tone, headline) => {
    const view = describeStatusFailure({ code, message: 'x' }, 'https://pb.example');
    expect(view.tone).toBe(tone);
    expect(view.headline).toMatch(headline);
  });
});

describe('options page', () => {
  let root: HTMLElement;
  let controller: OptionsController | undefined;

  beforeEach(() => {
    document.body.replaceChildren();
    root = document.createElement('div');
    document.body.appendChild(root);
  });
  afterEach(() => {
    controller?.destroy();
    controller = undefined;
  });

  const $ = <T extends Element = HTMLElement>(testid: string): T => {
    const found = root.querySelector<T>(`[data-testid="${testid}"]`);
    if (!found) throw new Error(`no [data-testid="${testid}"]`);
    return found;
  };
  const field = (name: string) => $<HTMLInputElement & HTMLSelectElement>(`field-${name}`);
  const fill = (name: string, value: string) => {
    const control = field(name);
    control.value = value;
    control.dispatchEvent(new Event('input', { bubbles: true }));
    control.dispatchEvent(new Event('change', { bubbles: true }));
  };

  async function mount(options: Parameters<typeof fakeOptionsDeps>[0] = {}, pollMs = 60_000) {
    const fake = fakeOptionsDeps(options);
    controller = mountOptions(root, fake.deps, { pollMs });
    await controller.ready;
    await flush();
    return fake;
  }

  it('labels every setup field and shows the saved values', async () => {
    await mount();
    for (const name of ['cloud', 'proxyUrl', 'tenantId', 'clientId', 'clientSecret', 'syncIntervalMinutes']) {
      const control = field(name);
      expect(root.querySelector(`label[for="${control.id}"]`)?.textContent, name).toBeTruthy();
    }
    expect(field('proxyUrl').value).toBe(DEFAULT_SETTINGS.proxyUrl);
    expect(field('clientSecret').type).toBe('password');
    expect(field('clientSecret').getAttribute('autocomplete')).toBe('off');
    expect(field('clientSecret').value).toBe('');
    expect(field('syncIntervalMinutes').value).toBe('15');
    expect(field('autofillEnabled').checked).toBe(true);
  });

  it('shows both redirect URIs with copy buttons', async () => {
    const { deps } = await mount();
    expect($('redirect-web').textContent).toBe('https://peoplebook.contoso.example/api/azure/callback');
    expect($('redirect-spa').textContent).toBe('https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/');
    fill('proxyUrl', 'https://directory.contoso.example/pb/');
    expect($('redirect-web').textContent).toBe('https://directory.contoso.example/pb/api/azure/callback');
    $<HTMLButtonElement>('copy-redirect-web').click();
    $<HTMLButtonElement>('copy-redirect-spa').click();
    await flush();
    expect(deps.copyText.mock.calls).toEqual([['https://directory.contoso.example/pb/api/azure/callback'], ['https://abcdefghijklmnopabcdefghijklmnop.chromiumapp.org/']]);
  });

  it('shows the authority host field only for a custom cloud', async () => {
    await mount();
    const wrapper = () => field('authorityHost').closest('.field') as HTMLElement;
    expect(wrapper().hidden).toBe(true);
    fill('cloud', 'custom');
    expect(wrapper().hidden).toBe(false);
  });

  it('marks invalid fields inline and focuses the first, without saving or asking for permissions', async () => {
    const { deps } = await mount();
    fill('proxyUrl', 'http://peoplebook.contoso.example');
    fill('clientId', 'nope');
    $<HTMLButtonElement>('save-authorize').click();
    await flush();
    expect($('error-proxyUrl').hidden).toBe(false);
    expect($('error-proxyUrl').textContent).toMatch(/only allowed for localhost/);
    expect(field('proxyUrl').getAttribute('aria-invalid')).toBe('true');
    expect(field('proxyUrl').getAttribute('aria-describedby')).toContain($('error-proxyUrl').id);
    expect($('error-clientId').textContent).toMatch(/GUID/);
    expect($('error-clientSecret').textContent).toMatch(/Value/);
    expect(document.activeElement).toBe(field('proxyUrl'));
    expect(deps.requestOrigins).not.toHaveBeenCalled();
    expect(deps.settings.save).not.toHaveBeenCalled();
    fill('proxyUrl', 'https://peoplebook.contoso.example');
    expect($('error-proxyUrl').hidden).toBe(true);
    expect(field('proxyUrl').hasAttribute('aria-invalid')).toBe(false);
  });

  it('Save and Authorize: asks for the origins in the click, saves without the secret, sets up, opens consent', async () => {
    const { deps, api } = await mount();
    fill('tenantId', 'contoso.onmicrosoft.com');
    fill('clientSecret', 'abc8Q~secret-value');
    $<HTMLButtonElement>('save-authorize').click();
    // Synchronously, still inside the click: the user gesture permissions.request needs.
    expect(deps.requestOrigins).toHaveBeenCalledWith(['https://peoplebook.contoso.example/*', 'https://login.microsoftonline.com/*']);
    await controller!.idle();
    expect(deps.settings.save).toHaveBeenCalled();
    const firstSave = deps.settings.save.mock.calls[0]![0];
    expect(firstSave).toEqual({ cloud: 'global', authorityHost: null, proxyUrl: 'https://peoplebook.contoso.example', tenantId: 'contoso.onmicrosoft.com', clientId: DEFAULT_SETTINGS.clientId, graphAuth: 'delegated' });
    expect(deps.proxy).toHaveBeenCalledWith('https://peoplebook.contoso.example');
    expect(api.setup).toHaveBeenCalledWith({ cloud: 'global', tenant: 'contoso.onmicrosoft.com', clientId: DEFAULT_SETTINGS.clientId, clientSecret: 'abc8Q~secret-value', graphAuth: 'delegated' });
    expect(deps.openTab).toHaveBeenCalledWith(expect.stringMatching(/^https:\/\/login\.microsoftonline\.com\/.*\/authorize/));
    // The proxy resolved the domain: the GUID is kept, the secret is gone from the form.
    expect(deps.settings.save).toHaveBeenLastCalledWith({ tenantId: '99999999-8888-4777-8666-555555555555' });
    expect(field('tenantId').value).toBe('99999999-8888-4777-8666-555555555555');
    expect(field('clientSecret').value).toBe('');
    expect($('setup-message').textContent).toMatch(/Sign in as a Global Administrator/);
    expect(api.status).toHaveBeenLastCalledWith('99999999-8888-4777-8666-555555555555');
  });

  it('never hands the client secret to the settings store', async () => {
    const { deps } = await mount();
    const secret = 'abc8Q~very-secret-value';
    fill('clientSecret', secret);
    $<HTMLButtonElement>('save-authorize').click();
    await controller!.idle();
    field('autofillEnabled').checked = false;
    field('autofillEnabled').dispatchEvent(new Event('change'));
    await flush();
    expect(deps.settings.save.mock.calls.length).toBeGreaterThan(1);
    for (const [patch] of deps.settings.save.mock.calls) {
      expect(Object.keys(patch)).not.toContain('clientSecret');
      expect(JSON.stringify(patch)).not.toContain(secret);
    }
  });

  it('explains a refused permission and stops', async () => {
    const { deps, api } = await mount({ granted: false });
    fill('clientSecret', 'abc8Q~secret-value');
    $<HTMLButtonElement>('save-authorize').click();
    await controller!.idle();
    expect($('setup-message').textContent).toMatch(/needs your permission to reach https:\/\/peoplebook\.contoso\.example/);
    expect(deps.settings.save).not.toHaveBeenCalled();
    expect(api.setup).not.toHaveBeenCalled();
  });

  it("shows the proxy's refusal", async () => {
    const { deps } = await mount({ setupError: new Error('AADSTS90002: Tenant not found: check the tenant name.') });
    fill('clientSecret', 'abc8Q~secret-value');
    $<HTMLButtonElement>('save-authorize').click();
    await controller!.idle();
    expect($('setup-message').getAttribute('role')).toBe('alert');
    expect($('setup-message').textContent).toBe('The proxy refused the setup: AADSTS90002: Tenant not found: check the tenant name.');
    expect(deps.openTab).not.toHaveBeenCalled();
    expect(field('clientSecret').value).toBe('abc8Q~secret-value'); // kept for another try
  });

  it('shows the live status with the last error and its fix', async () => {
    const status = { ...activeStatus, state: 'error' as const, lastError: { code: 'AADSTS65001', message: 'The user or administrator has not consented.', fix: 'Choose Save and Authorize and accept the permissions as a Global Administrator.', at: new Date(NOW).toISOString() } };
    await mount({ status });
    expect($('tenant-status').getAttribute('data-tone')).toBe('error');
    expect($('status-headline').textContent).toBe('The connection needs attention.');
    expect($('status-rows').textContent).toContain('Users mirrored5,000');
    expect($('status-error').textContent).toBe('The user or administrator has not consented.');
    expect($('status-fix').textContent).toBe('To fix: Choose Save and Authorize and accept the permissions as a Global Administrator.');
  });

  it('polls the status every few seconds while visible, and stops while hidden', async () => {
    const { api } = await mount({}, 10);
    await new Promise((resolve) => setTimeout(resolve, 60));
    const whileVisible = api.status.mock.calls.length;
    expect(whileVisible).toBeGreaterThan(2);
    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    await flush();
    const hiddenAt = api.status.mock.calls.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(api.status.mock.calls.length).toBe(hiddenAt);
    visibility.mockReturnValue('visible');
    document.dispatchEvent(new Event('visibilitychange'));
    await flush();
    expect(api.status.mock.calls.length).toBeGreaterThan(hiddenAt);
    visibility.mockRestore();
  });

  it('locks the values set by policy', async () => {
    const { deps } = await mount({ managed: { proxyUrl: 'https://pb.corp.example', tenantId: '11111111-2222-4333-8444-555555555555', clientId: '66666666-7777-4888-8999-000000000000', syncIntervalMinutes: 60 } });
    for (const name of ['proxyUrl', 'tenantId', 'clientId', 'syncIntervalMinutes']) {
      expect(field(name).disabled, name).toBe(true);
      expect($(`managed-${name}`).hidden, name).toBe(false);
      expect($(`managed-${name}`).textContent).toContain('Set by your organisation');
      expect(field(name).getAttribute('aria-describedby')).toContain($(`managed-${name}`).id);
    }
    expect(field('proxyUrl').value).toBe('https://pb.corp.example');
    expect(field('syncIntervalMinutes').value).toBe('60');
    expect(field('clientSecret').disabled).toBe(false);
    expect(field('autofillEnabled').disabled).toBe(false);
    expect($('managed-autofillEnabled').hidden).toBe(true);
    // Save and Authorize uses the managed values and writes only the rest.
    fill('clientSecret', 'abc8Q~secret-value');
    $<HTMLButtonElement>('save-authorize').click();
    await controller!.idle();
    const patch = deps.settings.save.mock.calls[0]![0];
    expect(Object.keys(patch).sort()).toEqual(['authorityHost', 'cloud', 'graphAuth']);
  });

  it('saves preferences as they change', async () => {
    const { deps } = await mount();
    fill('syncIntervalMinutes', '60');
    await flush();
    expect(deps.settings.save).toHaveBeenLastCalledWith({ syncIntervalMinutes: 60 });
    const box = $<HTMLInputElement>('field-fieldsShown-directReports');
    box.checked = false;
    box.dispatchEvent(new Event('change'));
    await flush();
    expect(deps.settings.save).toHaveBeenLastCalledWith({ fieldsShown: ['jobTitle', 'department', 'companyName', 'officeLocation', 'mail', 'userPrincipalName', 'businessPhones', 'mobilePhone', 'manager'] });
    expect($('preferences-message').textContent).toBe('Saved.');
  });

  it('shows a refused preference beside it', async () => {
    const { deps } = await mount();
    deps.settings.save.mockRejectedValueOnce(Object.assign(new Error('Sync at most every 5 minutes.'), { key: 'syncIntervalMinutes' }));
    fill('syncIntervalMinutes', '5');
    await flush();
    expect($('error-syncIntervalMinutes').hidden).toBe(false);
    expect($('error-syncIntervalMinutes').textContent).toBe('Sync at most every 5 minutes.');
  });
});
