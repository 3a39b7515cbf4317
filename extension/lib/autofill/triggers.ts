import { AutofillError } from './messages.ts';
import { AUTOFILL_INLINE, AUTOFILL_OPEN, AUTOFILL_UNDO, type AutofillCommand, type OpenResult, type UndoResult } from './protocol.ts';
import { inlineOrigins, isListedSite, sitePatternOf } from './sites.ts';

/**
 * The background's side of autofill's triggers (issue 5): what the popup's "Fill into this page", the
 * context menu's "Fill with colleague…" and "Undo fill", and the keyboard command do, and the inline
 * mode's content-script registration. The browser APIs come in as parameters (entrypoints/background.ts
 * passes `browser.*`), so all of it runs in Node against fakes.
 *
 * On demand the content script is injected into the one frame the user acted in, under `activeTab`:
 * the popup, the context menu and the command are the user gestures that grant it for the tab's site,
 * and nothing is injected anywhere else. Injecting again replaces a running copy (WXT's context stops the
 * old one), so each trigger injects and then asks the script to open its picker.
 */

/** Where WXT builds entrypoints/autofill.content.ts (`registration: 'runtime'`: not in the manifest). */
export const AUTOFILL_SCRIPT = '/content-scripts/autofill.js' as const;
/** The id of the inline mode's registration (`scripting.registerContentScripts`). */
export const INLINE_SCRIPT_ID = 'peoplebook-autofill';
/** The manifest's `commands` entry (wxt.config.ts). */
export const FILL_COMMAND = 'fill-colleague';
export const MENU_FILL = 'peoplebook-fill';
export const MENU_UNDO = 'peoplebook-undo';

/** A registered content script as `scripting.getRegisteredContentScripts` describes it (the parts used). */
export interface RegisteredScript {
  id: string;
  js?: string[];
  matches?: string[];
  excludeMatches?: string[];
  allFrames?: boolean;
  runAt?: 'document_start' | 'document_end' | 'document_idle';
  persistAcrossSessions?: boolean;
}

/** The parts of `browser.scripting` used. */
export interface ScriptingLike {
  executeScript(injection: { target: { tabId: number; frameIds?: number[] }; files: (typeof AUTOFILL_SCRIPT)[] }): Promise<unknown>;
  registerContentScripts(scripts: RegisteredScript[]): Promise<unknown>;
  unregisterContentScripts(filter: { ids: string[] }): Promise<unknown>;
  getRegisteredContentScripts(filter: { ids: string[] }): Promise<RegisteredScript[]>;
}

/** The parts of `browser.tabs` used. */
export interface TabsLike {
  query(query: { active?: boolean; lastFocusedWindow?: boolean }): Promise<{ id?: number }[]>;
  sendMessage(tabId: number, message: AutofillCommand, options?: { frameId: number }): Promise<unknown>;
}

/** The parts of `browser.permissions` used. */
export interface PermissionsLike {
  getAll(): Promise<{ origins?: string[] }>;
  contains(permissions: { origins: string[] }): Promise<boolean>;
}

export interface MenuProperties {
  id: string;
  title: string;
  contexts: ['editable'];
}

/** The parts of `browser.contextMenus` (Firefox: `menus`) used. */
export interface MenusLike {
  create(properties: MenuProperties, done: () => void): unknown;
  removeAll(): Promise<unknown>;
}

/** What the triggers read from the settings (settings.ts; `reserved` is `originsFor(settings)`). */
export interface AutofillSettings {
  autofillEnabled: boolean;
  /** Policy's sites with inline mode (settings.ts `autofillSites`). */
  autofillSites: readonly string[];
  /** Host patterns granted for the tenant (proxy, identity platform), never for autofill. */
  reserved: readonly string[];
}

export interface TriggerDeps {
  scripting: ScriptingLike;
  tabs: TabsLike;
  permissions: PermissionsLike;
  menus?: MenusLike;
  settings(): Promise<AutofillSettings>;
  /** Reads (and so clears) `runtime.lastError` after a callback API, as Chrome expects. */
  lastError?(): unknown;
}

export interface AutofillTriggers {
  /** Injects the content script into one frame and opens its picker (popup, context menu, command). */
  fillTab(tabId: number, frameId?: number): Promise<OpenResult>;
  /** `fillTab` for the active tab of the last focused window (the popup's button, the command). */
  fillActiveTab(): Promise<OpenResult>;
  /** Asks the frame's content script to restore what its last fill replaced (nothing there: 0). */
  undoTab(tabId: number, frameId?: number): Promise<UndoResult>;
  /** `autofill/config` for a page: the setting is on, and the site is granted or listed by policy. */
  inlineFor(url: string | undefined): Promise<boolean>;
  /**
   * Brings the inline registration in line with the grants and settings (install, start, permission
   * and settings changes); resolves with the patterns it now covers.
   */
  syncInline(): Promise<string[]>;
  /** Creates the context menu items (on install and start; none while autofill is off). */
  createMenus(): Promise<void>;
  /** `commands.onCommand`. */
  onCommand(command: string, tab?: { id?: number }): Promise<OpenResult | null>;
  /** `contextMenus.onClicked`. */
  onMenuClick(info: { menuItemId: string | number; frameId?: number }, tab?: { id?: number }): Promise<OpenResult | UndoResult | null>;
}

const cannotFill = (cause: unknown): AutofillError =>
  Object.assign(new AutofillError('cannot_fill', "Peoplebook can't fill this page: browser pages and extension stores are off limits, and so is a frame from another site."), { cause });

/** The content script's answer envelope (protocol.ts), checked: the page's frame is not trusted either. */
function readCount<K extends 'fields' | 'restored'>(response: unknown, key: K): Record<K, number> {
  const envelope = response as { ok?: unknown; value?: Record<string, unknown> } | undefined;
  const count = envelope?.ok === true ? envelope.value?.[key] : undefined;
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) throw cannotFill(new Error('The page answered without a count.'));
  return { [key]: count } as Record<K, number>;
}

const sameSet = (a: readonly string[] = [], b: readonly string[] = []): boolean => {
  const [x, y] = [[...a].sort(), [...b].sort()];
  return x.length === y.length && x.every((value, i) => value === y[i]);
};

export function createAutofillTriggers(deps: TriggerDeps): AutofillTriggers {
  const { scripting, tabs, permissions } = deps;

  const fillTab = async (tabId: number, frameId = 0): Promise<OpenResult> => {
    try {
      await scripting.executeScript({ target: { tabId, frameIds: [frameId] }, files: [AUTOFILL_SCRIPT] });
    } catch (error) {
      throw cannotFill(error);
    }
    let response: unknown;
    try {
      response = await tabs.sendMessage(tabId, { type: AUTOFILL_OPEN }, { frameId });
    } catch (error) {
      throw cannotFill(error);
    }
    return readCount(response, 'fields');
  };

  const activeTabId = async (): Promise<number> => {
    const [tab] = await tabs.query({ active: true, lastFocusedWindow: true });
    if (typeof tab?.id !== 'number') throw cannotFill(new Error('No active tab.'));
    return tab.id;
  };

  const undoTab = async (tabId: number, frameId = 0): Promise<UndoResult> => {
    let response: unknown;
    try {
      response = await tabs.sendMessage(tabId, { type: AUTOFILL_UNDO }, { frameId });
    } catch {
      return { restored: 0 }; // no content script in that frame: nothing was filled there
    }
    return readCount(response, 'restored');
  };

  /**
   * The setting was turned off: pages where the script already runs stop offering the picker at once
   * (every frame of every tab is told; tabs without the script don't answer). New grants and policy
   * sites take effect as pages load.
   */
  const inlineOffEverywhere = async (): Promise<void> => {
    const all = await tabs.query({}).catch(() => []);
    await Promise.all(all.map((tab) => (typeof tab.id === 'number' ? tabs.sendMessage(tab.id, { type: AUTOFILL_INLINE, enabled: false }).catch(() => undefined) : undefined)));
  };

  // One registration (or menu) change at a time: permission and settings events arrive in bursts.
  const serial = <T>(run: () => Promise<T>): (() => Promise<T>) => {
    let last: Promise<unknown> = Promise.resolve();
    return () => {
      const next = last.then(run, run);
      last = next.catch(() => undefined);
      return next;
    };
  };
  const syncOnce = async (): Promise<string[]> => {
    const settings = await deps.settings();
    if (!settings.autofillEnabled) await inlineOffEverywhere();
    const granted = settings.autofillEnabled ? ((await permissions.getAll()).origins ?? []) : [];
    const matches = inlineOrigins(granted, settings.reserved);
    const excludeMatches = [...settings.reserved].sort();
    const [current] = await scripting.getRegisteredContentScripts({ ids: [INLINE_SCRIPT_ID] });
    if (current && sameSet(current.matches, matches) && sameSet(current.excludeMatches, excludeMatches)) return matches;
    if (current) await scripting.unregisterContentScripts({ ids: [INLINE_SCRIPT_ID] });
    if (matches.length > 0) {
      await scripting.registerContentScripts([
        {
          id: INLINE_SCRIPT_ID,
          js: [AUTOFILL_SCRIPT.slice(1)],
          matches,
          // A granted wildcard (Firefox lets the user allow every site) still stays off the tenant's pages.
          ...(excludeMatches.length > 0 ? { excludeMatches } : {}),
          allFrames: true,
          runAt: 'document_idle',
          persistAcrossSessions: true,
        },
      ]);
    }
    return matches;
  };

  const createMenus = serial(async (): Promise<void> => {
    const menus = deps.menus;
    if (!menus) return;
    await menus.removeAll();
    if (!(await deps.settings()).autofillEnabled) return;
    const create = (properties: MenuProperties) => new Promise<void>((resolve) => menus.create(properties, () => resolve(void deps.lastError?.())));
    await create({ id: MENU_FILL, title: 'Fill with colleague…', contexts: ['editable'] });
    await create({ id: MENU_UNDO, title: 'Undo fill', contexts: ['editable'] });
  });

  return {
    fillTab,
    fillActiveTab: async () => fillTab(await activeTabId()),
    undoTab,
    async inlineFor(url) {
      const settings = await deps.settings();
      if (!settings.autofillEnabled) return false;
      if (isListedSite(url, settings.autofillSites)) return true;
      const pattern = sitePatternOf(url);
      if (!pattern || settings.reserved.includes(pattern)) return false;
      return permissions.contains({ origins: [pattern] });
    },
    syncInline: serial(syncOnce),
    createMenus,
    async onCommand(command, tab) {
      if (command !== FILL_COMMAND) return null;
      return fillTab(typeof tab?.id === 'number' ? tab.id : await activeTabId());
    },
    async onMenuClick(info, tab) {
      if (typeof tab?.id !== 'number') return null;
      if (info.menuItemId === MENU_FILL) return fillTab(tab.id, info.frameId ?? 0);
      if (info.menuItemId === MENU_UNDO) return undoTab(tab.id, info.frameId ?? 0);
      return null;
    },
  };
}
