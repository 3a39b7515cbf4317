import { describe, expect, it, vi } from 'vitest';
import { inlineOrigins, isListedSite, sitePatternOf } from '../../extension/lib/autofill/sites.ts';
import {
  AUTOFILL_SCRIPT,
  createAutofillTriggers,
  FILL_COMMAND,
  INLINE_SCRIPT_ID,
  MENU_FILL,
  MENU_UNDO,
  type AutofillSettings,
  type MenuProperties,
  type RegisteredScript,
} from '../../extension/lib/autofill/triggers.ts';

/** The tenant's hosts (settings.ts originsFor): granted for sign-in and sync, never for autofill. */
const RESERVED = ['https://peoplebook.contoso.com/*', 'https://login.microsoftonline.com/*'];

function setup(options: { settings?: Partial<AutofillSettings>; granted?: string[]; answer?: unknown; inject?: () => Promise<unknown>; activeTab?: { id?: number } } = {}) {
  let settings: AutofillSettings = { autofillEnabled: true, autofillSites: [], reserved: RESERVED, ...options.settings };
  let granted = options.granted ?? [];
  let registered: RegisteredScript[] = [];
  const scripting = {
    executeScript: vi.fn(options.inject ?? (async () => [{ result: undefined }])),
    registerContentScripts: vi.fn(async (scripts: RegisteredScript[]) => void (registered = [...registered, ...scripts])),
    unregisterContentScripts: vi.fn(async ({ ids }: { ids: string[] }) => void (registered = registered.filter((s) => !ids.includes(s.id)))),
    getRegisteredContentScripts: vi.fn(async ({ ids }: { ids: string[] }) => registered.filter((s) => ids.includes(s.id))),
  };
  const tabs = {
    query: vi.fn(async (query: { active?: boolean }) => (query.active ? [options.activeTab ?? { id: 42 }] : [{ id: 1 }, { id: 2 }, {}])),
    sendMessage: vi.fn(async (_tabId: number, message: { type: string }) => {
      if (options.answer !== undefined) return options.answer;
      return message.type === 'autofill/open' ? { ok: true, value: { fields: 5 } } : { ok: true, value: { restored: 3 } };
    }),
  };
  const permissions = {
    getAll: vi.fn(async () => ({ origins: granted, permissions: ['activeTab'] })),
    contains: vi.fn(async ({ origins }: { origins: string[] }) => origins.every((o) => granted.includes(o))),
  };
  const menus = { created: [] as MenuProperties[], create: vi.fn((p: MenuProperties, done: () => void) => void (menus.created.push(p), done())), removeAll: vi.fn(async () => void (menus.created = [])) };
  const triggers = createAutofillTriggers({ scripting, tabs, permissions, menus, settings: async () => settings });
  return {
    triggers,
    scripting,
    tabs,
    permissions,
    menus,
    registered: () => registered,
    set: (patch: Partial<AutofillSettings>) => void (settings = { ...settings, ...patch }),
    grant: (origins: string[]) => void (granted = origins),
  };
}

describe('sites (pure)', () => {
  it.each([
    ['https://crm.contoso.com:8443/leads/new?x=1', 'https://crm.contoso.com/*'],
    ['http://127.0.0.1:5173/', 'http://127.0.0.1/*'],
    ['chrome://settings/', null],
    ['file:///home/me/form.html', null],
    ['not a url', null],
    [undefined, null],
  ])('sitePatternOf(%j) = %j', (url, pattern) => {
    expect(sitePatternOf(url)).toBe(pattern);
  });

  it.each([
    ['https://crm.contoso.com/a', ['https://crm.contoso.com/*'], true],
    ['https://crm.contoso.com/a', ['http://crm.contoso.com/*'], false],
    ['https://eu.crm.contoso.com/a', ['https://*.contoso.com/*'], true],
    ['https://contoso.com/a', ['https://*.contoso.com/*'], true],
    ['https://evilcontoso.com/a', ['https://*.contoso.com/*'], false],
    ['https://contoso.com.evil.example/a', ['https://*.contoso.com/*'], false],
    ['https://crm.contoso.com/a', [], false],
  ])('isListedSite(%j, %j) = %j', (url, sites, listed) => {
    expect(isListedSite(url, sites)).toBe(listed);
  });

  it("keeps the granted web sites, less the tenant's, sorted and once each", () => {
    expect(inlineOrigins(['https://peoplebook.contoso.com/*', 'https://crm.contoso.com/*', 'http://127.0.0.1/*', 'https://crm.contoso.com/*', 'https://login.microsoftonline.com/*'], RESERVED)).toEqual(['http://127.0.0.1/*', 'https://crm.contoso.com/*']);
    expect(inlineOrigins(['<all_urls>', 'https://crm.contoso.com/leads/*'], [])).toEqual([]);
  });
});

describe('on-demand fill (popup, context menu, command)', () => {
  it('injects the content script into the one frame, then asks it to open its picker', async () => {
    const { triggers, scripting, tabs } = setup();
    await expect(triggers.fillTab(7, 3)).resolves.toEqual({ fields: 5 });
    expect(scripting.executeScript).toHaveBeenCalledWith({ target: { tabId: 7, frameIds: [3] }, files: [AUTOFILL_SCRIPT] });
    expect(tabs.sendMessage).toHaveBeenCalledWith(7, { type: 'autofill/open' }, { frameId: 3 });
    expect(scripting.executeScript.mock.invocationCallOrder[0]).toBeLessThan(tabs.sendMessage.mock.invocationCallOrder[0]!);
  });

  it("fills the active tab's top frame for the popup's button", async () => {
    const { triggers, scripting, tabs } = setup();
    await expect(triggers.fillActiveTab()).resolves.toEqual({ fields: 5 });
    expect(tabs.query).toHaveBeenCalledWith({ active: true, lastFocusedWindow: true });
    expect(scripting.executeScript).toHaveBeenCalledWith({ target: { tabId: 42, frameIds: [0] }, files: [AUTOFILL_SCRIPT] });
  });

  it('says cannot_fill where the browser refuses the script (its own pages, stores, foreign frames)', async () => {
    const { triggers, tabs } = setup({ inject: () => Promise.reject(new Error('Cannot access contents of url "chrome://newtab/".')) });
    await expect(triggers.fillTab(7)).rejects.toMatchObject({ code: 'cannot_fill', message: expect.stringContaining("can't fill this page") });
    expect(tabs.sendMessage).not.toHaveBeenCalled();
    await expect(setup({ activeTab: {} }).triggers.fillActiveTab()).rejects.toMatchObject({ code: 'cannot_fill' });
  });

  it.each([
    ['nothing', undefined],
    ['a refusal', { ok: false, error: { code: 'x', message: 'y' } }],
    ['a count that is not one', { ok: true, value: { fields: -1 } }],
    ['a page-forged shape', { ok: true, value: { fields: '5' } }],
  ])("takes the page's answer only when it is a count (%s is refused)", async (_name, answer) => {
    const { triggers, tabs } = setup();
    tabs.sendMessage.mockResolvedValueOnce(answer as never);
    await expect(triggers.fillTab(7)).rejects.toMatchObject({ code: 'cannot_fill' });
  });

  it('runs the keyboard command on the tab Chrome passes, else on the active tab; ignores other commands', async () => {
    const { triggers, scripting } = setup();
    await expect(triggers.onCommand(FILL_COMMAND, { id: 9 })).resolves.toEqual({ fields: 5 });
    expect(scripting.executeScript).toHaveBeenLastCalledWith({ target: { tabId: 9, frameIds: [0] }, files: [AUTOFILL_SCRIPT] });
    await triggers.onCommand(FILL_COMMAND);
    expect(scripting.executeScript).toHaveBeenLastCalledWith({ target: { tabId: 42, frameIds: [0] }, files: [AUTOFILL_SCRIPT] });
    await expect(triggers.onCommand('something-else', { id: 9 })).resolves.toBeNull();
    expect(scripting.executeScript).toHaveBeenCalledTimes(2);
  });

  it('fills from the context menu in the frame clicked, and undoes there', async () => {
    const { triggers, scripting, tabs } = setup();
    await expect(triggers.onMenuClick({ menuItemId: MENU_FILL, frameId: 5 }, { id: 7 })).resolves.toEqual({ fields: 5 });
    expect(scripting.executeScript).toHaveBeenCalledWith({ target: { tabId: 7, frameIds: [5] }, files: [AUTOFILL_SCRIPT] });
    await expect(triggers.onMenuClick({ menuItemId: MENU_UNDO, frameId: 5 }, { id: 7 })).resolves.toEqual({ restored: 3 });
    expect(tabs.sendMessage).toHaveBeenLastCalledWith(7, { type: 'autofill/undo' }, { frameId: 5 });
    expect(scripting.executeScript).toHaveBeenCalledTimes(1); // undo never injects
    await expect(triggers.onMenuClick({ menuItemId: MENU_FILL }, undefined)).resolves.toBeNull();
  });

  it('undo in a frame without the script restores nothing', async () => {
    const { triggers, tabs } = setup();
    tabs.sendMessage.mockRejectedValueOnce(new Error('Could not establish connection. Receiving end does not exist.'));
    await expect(triggers.undoTab(7)).resolves.toEqual({ restored: 0 });
  });

  it('creates "Fill with colleague…" and "Undo fill" on editable fields, none while autofill is off', async () => {
    const { triggers, menus, set } = setup();
    await triggers.createMenus();
    expect(menus.created).toEqual([
      { id: MENU_FILL, title: 'Fill with colleague…', contexts: ['editable'] },
      { id: MENU_UNDO, title: 'Undo fill', contexts: ['editable'] },
    ]);
    await Promise.all([triggers.createMenus(), triggers.createMenus()]);
    expect(menus.created).toHaveLength(2); // bursts of settings changes don't double them
    set({ autofillEnabled: false });
    await triggers.createMenus();
    expect(menus.created).toEqual([]);
  });
});

describe('inline mode', () => {
  it.each<[string, Partial<AutofillSettings>, string[], string | undefined, boolean]>([
    ['a granted site', {}, ['https://crm.contoso.com/*'], 'https://crm.contoso.com/leads', true],
    ['a site not granted', {}, ['https://crm.contoso.com/*'], 'https://shop.example/checkout', false],
    ['a policy-listed site', { autofillSites: ['https://*.contoso.com/*'] }, [], 'https://hr.contoso.com/onboarding', true],
    ["the tenant's proxy, granted for sync", {}, ['https://peoplebook.contoso.com/*'], 'https://peoplebook.contoso.com/', false],
    ['the sign-in page under a wildcard grant', {}, ['https://*/*'], 'https://login.microsoftonline.com/common/oauth2', false],
    ['a granted site with autofill off', { autofillEnabled: false }, ['https://crm.contoso.com/*'], 'https://crm.contoso.com/leads', false],
    ['a policy site with autofill off', { autofillEnabled: false, autofillSites: ['https://crm.contoso.com/*'] }, [], 'https://crm.contoso.com/leads', false],
    ['a sender without a URL', {}, ['https://crm.contoso.com/*'], undefined, false],
  ])('config for %s', async (_name, settings, granted, url, inline) => {
    const { triggers } = setup({ settings, granted });
    await expect(triggers.inlineFor(url)).resolves.toBe(inline);
  });

  it('registers the content script on the granted sites (all frames, at idle), never on the tenant hosts', async () => {
    const { triggers, registered } = setup({ granted: ['https://crm.contoso.com/*', 'https://peoplebook.contoso.com/*', 'http://127.0.0.1/*'] });
    await expect(triggers.syncInline()).resolves.toEqual(['http://127.0.0.1/*', 'https://crm.contoso.com/*']);
    expect(registered()).toEqual([
      {
        id: INLINE_SCRIPT_ID,
        js: ['content-scripts/autofill.js'],
        matches: ['http://127.0.0.1/*', 'https://crm.contoso.com/*'],
        excludeMatches: [...RESERVED].sort(),
        allFrames: true,
        runAt: 'document_idle',
        persistAcrossSessions: true,
      },
    ]);
  });

  it('follows grants and the setting: unchanged grants touch nothing, a removal re-registers, autofill off unregisters and tells open tabs', async () => {
    const { triggers, scripting, tabs, registered, grant, set } = setup({ granted: ['https://crm.contoso.com/*'] });
    await triggers.syncInline();
    await triggers.syncInline();
    expect(scripting.registerContentScripts).toHaveBeenCalledTimes(1);
    expect(scripting.unregisterContentScripts).not.toHaveBeenCalled();

    grant(['https://crm.contoso.com/*', 'https://hr.contoso.com/*']);
    await triggers.syncInline();
    expect(registered()[0]?.matches).toEqual(['https://crm.contoso.com/*', 'https://hr.contoso.com/*']);

    grant([]);
    await triggers.syncInline();
    expect(registered()).toEqual([]);

    grant(['https://crm.contoso.com/*']);
    await triggers.syncInline();
    set({ autofillEnabled: false });
    tabs.sendMessage.mockClear();
    await triggers.syncInline();
    expect(registered()).toEqual([]);
    expect(tabs.sendMessage.mock.calls).toEqual([
      [1, { type: 'autofill/inline', enabled: false }],
      [2, { type: 'autofill/inline', enabled: false }],
    ]);
  });

  it('runs one registration change at a time when events come in a burst', async () => {
    const { triggers, scripting, registered } = setup({ granted: ['https://crm.contoso.com/*'] });
    await Promise.all([triggers.syncInline(), triggers.syncInline(), triggers.syncInline()]);
    expect(scripting.registerContentScripts).toHaveBeenCalledTimes(1);
    expect(registered()).toHaveLength(1);
  });
});
