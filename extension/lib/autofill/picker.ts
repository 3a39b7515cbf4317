import { AUTOFILL_QUERY_MAX, type Colleague, type FillValues } from './protocol.ts';

/**
 * The colleague picker shown beside a form field: a search box, up to eight results, a status line
 * announced to screen readers, and after a fill an Undo button.
 *
 * It lives in a CLOSED shadow root on its own host element: the page's scripts get `null` from
 * `host.shadowRoot`, find nothing with `querySelector`, and see events from inside only as coming from
 * the host (composedPath stops there); the page's styles don't reach in (`:host { all: initial }` with
 * `!important`, which beats the page's rules on the host). Directory text goes in as text nodes only,
 * never as HTML. Keyboard and mouse input counts only when the browser made it (`isTrusted`): a page can't
 * pick for the user. The results it shows come from `search`, the picked colleague's values from
 * `resolve`: the picker never holds more of the directory than what it shows.
 */

export interface PickOutcome {
  /** Fields filled. */
  filled: number;
  /** Undoes that fill; returns the fields restored. */
  undo?: () => number;
}

export interface PickerStrings {
  label: string;
  placeholder: string;
  hint: string;
  results: (count: number) => string;
  none: string;
  failed: string;
  filling: string;
  /** Followed by the colleague's name (shown, not announced: see `shown`). */
  filled: (count: number) => string;
  nothingFilled: string;
  undo: string;
  undone: (count: number) => string;
}

export const DEFAULT_STRINGS: PickerStrings = {
  label: 'Fill with a colleague',
  placeholder: 'Search colleagues…',
  hint: 'Type a colleague’s name.',
  results: (n) => (n === 1 ? '1 colleague found.' : `${n} colleagues found.`),
  none: 'No colleague found.',
  failed: 'Search is unavailable right now.',
  filling: 'Filling…',
  filled: (n) => (n === 1 ? 'Filled 1 field with' : `Filled ${n} fields with`),
  nothingFilled: 'No empty field to fill.',
  undo: 'Undo',
  undone: (n) => (n === 1 ? 'Restored 1 field.' : `Restored ${n} fields.`),
};

export interface PickerOptions {
  /** The form field the picker belongs to. */
  anchor: HTMLElement;
  search(query: string): Promise<Colleague[]>;
  resolve(id: string): Promise<FillValues>;
  /** Fills the form with the picked colleague's values. */
  onPick(values: FillValues, colleague: Colleague): PickOutcome | Promise<PickOutcome>;
  onClose?(): void;
  /**
   * true (default): focus moves into the search box (explicit "Fill with colleague…"). false: inline
   * mode, focus stays in the field; ArrowDown there moves into the picker, Escape or typing closes it.
   */
  focus?: boolean;
  /** Removes every listener when aborted (the content script's context). */
  signal?: AbortSignal;
  /** Accept only browser-made input (default true; DOM tests without a browser turn it off). */
  requireTrusted?: boolean;
  /** Wait after a keystroke before searching (default 80 ms). */
  debounceMs?: number;
  /** How long the "Filled …" message stays (default 8 s). */
  doneMs?: number;
  strings?: Partial<PickerStrings>;
  /**
   * Host element name (default `peoplebook-autofill-` and a random suffix: a page can't define a custom
   * element of that name ahead of time to run its constructor on the host, nor write CSS for it).
   */
  tagName?: string;
}

export interface Picker {
  readonly host: HTMLElement;
  readonly closed: boolean;
  /** Moves focus into the search box. */
  focus(): void;
  /** Runs a search as if typed (also fills the search box). */
  setQuery(query: string): void;
  close(): void;
}

const STYLE = `
:host{all:initial!important;position:fixed!important;inset:0 auto auto 0!important;width:0!important;height:0!important;margin:0!important;padding:0!important;border:0!important;background:none!important;overflow:visible!important;display:block!important;visibility:visible!important;opacity:1!important;transform:none!important;z-index:2147483647!important}
.p{position:fixed;box-sizing:border-box;width:min(360px,calc(100vw - 16px));max-height:min(420px,calc(100vh - 16px));display:flex;flex-direction:column;gap:4px;padding:8px;border:1px solid #8a8f98;border-radius:8px;background:#fff;color:#1b1d21;font:13px/1.35 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;box-shadow:0 6px 24px rgba(0,0,0,.18);text-align:start;direction:ltr}
.p *{box-sizing:border-box;font:inherit;color:inherit;margin:0}
input{width:100%;padding:6px 8px;border:1px solid #8a8f98;border-radius:6px;background:#fff;color:#1b1d21}
input:focus-visible,button:focus-visible{outline:2px solid #2563eb;outline-offset:1px}
ul{list-style:none;padding:0;overflow:auto}
li{display:flex;flex-direction:column;padding:6px 8px;border-radius:6px;cursor:pointer}
li[aria-selected=true]{background:#2563eb;color:#fff}
li:hover:not([aria-selected=true]){background:#eef2ff}
.n{font-weight:600}.d{font-size:12px;opacity:.85;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
.s{font-size:12px;opacity:.85;min-height:1em}
[data-t]::before{content:attr(data-t)}
.u{display:flex;align-items:center;justify-content:space-between;gap:8px}
button{padding:4px 10px;border:1px solid #2563eb;border-radius:6px;background:#fff;color:#2563eb;cursor:pointer}
[hidden]{display:none!important}
@media (prefers-color-scheme:dark){.p,input,button{background:#1f2329;color:#e8eaed}li:hover:not([aria-selected=true]){background:#2d3440}}
`;

let instances = 0;

/**
 * Directory text is shown as CSS generated content (`content: attr(data-t)`), not as text nodes: the
 * page's `window.find()` searches the text of closed shadow roots too, so names in text nodes could be
 * probed one guess at a time while results are on screen; generated content is neither found nor
 * selectable. Screen readers get the same text from `aria-label`.
 */
function shown<T extends Element>(node: T, text: string): T {
  node.setAttribute('data-t', text);
  return node;
}

/** Opens a picker beside `options.anchor`. */
export function createPicker(options: PickerOptions): Picker {
  const { anchor } = options;
  const strings = { ...DEFAULT_STRINGS, ...options.strings };
  const doc = anchor.ownerDocument;
  const view = doc.defaultView!;
  const requireTrusted = options.requireTrusted ?? true;
  const debounceMs = options.debounceMs ?? 80;
  const uid = `pb${++instances}`;
  const lifetime = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, lifetime.signal]) : lifetime.signal;
  const trusted = (event: Event): boolean => !requireTrusted || event.isTrusted;

  const el = <K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, text?: string): HTMLElementTagNameMap[K] => {
    const node = doc.createElement(tag);
    for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  };

  const host = el((options.tagName ?? `peoplebook-autofill-${Math.random().toString(36).slice(2, 10)}`) as 'div');
  const root = host.attachShadow({ mode: 'closed' });
  adoptStyle(root, doc);

  const panel = el('div', { class: 'p', role: 'dialog', 'aria-label': strings.label });
  const input = el('input', {
    type: 'text',
    role: 'combobox',
    'aria-label': strings.label,
    'aria-autocomplete': 'list',
    'aria-expanded': 'false',
    'aria-controls': `${uid}-list`,
    placeholder: strings.placeholder,
    autocomplete: 'off',
    spellcheck: 'false',
    maxlength: String(AUTOFILL_QUERY_MAX),
  });
  const list = el('ul', { id: `${uid}-list`, role: 'listbox', 'aria-label': strings.label });
  const status = el('div', { class: 's', role: 'status', 'aria-live': 'polite' });
  const done = el('div', { class: 'u', hidden: '' });
  const doneLine = el('span');
  const doneText = el('span', { role: 'status', 'aria-live': 'polite' });
  const doneName = el('span', { class: 'w' });
  const undoButton = el('button', { type: 'button' }, strings.undo);
  doneLine.append(doneText, doneName);
  done.append(doneLine, undoButton);
  panel.append(input, list, status, done);
  root.append(panel);

  let results: Colleague[] = [];
  let active = -1;
  let seq = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let picking = false;
  let undo: (() => number) | undefined;

  const say = (text: string): void => {
    status.textContent = text;
  };

  const render = (): void => {
    list.replaceChildren(
      ...results.map((colleague, i) => {
        const detail = [colleague.jobTitle, colleague.mail].filter(Boolean).join(' · ');
        const option = el('li', { id: `${uid}-o${i}`, role: 'option', 'aria-label': detail ? `${colleague.displayName}, ${detail}` : colleague.displayName });
        option.append(shown(el('span', { class: 'n' }), colleague.displayName));
        if (detail) option.append(shown(el('span', { class: 'd' }), detail));
        // mousedown would move focus out of the search box before the click lands.
        option.addEventListener('mousedown', (e) => e.preventDefault(), { signal });
        option.addEventListener(
          'click',
          (e) => {
            if (trusted(e)) void pick(i);
          },
          { signal },
        );
        return option;
      }),
    );
    input.setAttribute('aria-expanded', String(results.length > 0));
    highlight();
  };

  /** Marks the active option (aria-selected, aria-activedescendant) without rebuilding the list. */
  const highlight = (): void => {
    Array.from(list.children).forEach((option, i) => option.setAttribute('aria-selected', String(i === active)));
    if (active >= 0) {
      input.setAttribute('aria-activedescendant', `${uid}-o${active}`);
      list.children[active]?.scrollIntoView?.({ block: 'nearest' });
    } else input.removeAttribute('aria-activedescendant');
  };

  const runSearch = (query: string): void => {
    const mine = ++seq;
    if (!query.trim()) {
      results = [];
      active = -1;
      render();
      say(strings.hint);
      return;
    }
    options.search(query.trim()).then(
      (found) => {
        if (mine !== seq || closed) return;
        results = found;
        active = found.length > 0 ? 0 : -1;
        render();
        say(found.length > 0 ? strings.results(found.length) : strings.none);
      },
      () => {
        if (mine !== seq || closed) return;
        results = [];
        active = -1;
        render();
        say(strings.failed);
      },
    );
  };

  const pick = async (i: number): Promise<void> => {
    const colleague = results[i];
    if (!colleague || picking) return;
    picking = true;
    say(strings.filling);
    try {
      const values = await options.resolve(colleague.id);
      if (closed) return;
      const outcome = await options.onPick(values, colleague);
      if (closed) return;
      showDone(outcome, colleague);
    } catch {
      if (!closed) say(strings.failed);
    } finally {
      picking = false;
    }
  };

  const showDone = (outcome: PickOutcome, colleague: Colleague): void => {
    ++seq;
    results = [];
    active = -1;
    render();
    input.hidden = true;
    list.hidden = true;
    status.hidden = true;
    status.textContent = '';
    undo = outcome.filled > 0 ? outcome.undo : undefined;
    undoButton.hidden = !undo;
    doneText.textContent = outcome.filled > 0 ? strings.filled(outcome.filled) : strings.nothingFilled;
    shown(doneName, outcome.filled > 0 ? ` ${colleague.displayName}.` : '');
    done.hidden = false;
    // Back to the form: the user carries on where they were.
    anchor.focus({ preventScroll: true });
    clearTimeout(timer);
    timer = setTimeout(close, options.doneMs ?? 8000);
  };

  const runUndo = (): void => {
    if (!undo) return;
    const restored = undo();
    undo = undefined;
    undoButton.hidden = true;
    doneText.textContent = strings.undone(restored);
    shown(doneName, '');
    clearTimeout(timer);
    timer = setTimeout(close, options.doneMs ?? 8000);
  };

  const move = (delta: number): void => {
    if (results.length === 0) return;
    active = active < 0 ? (delta > 0 ? 0 : results.length - 1) : Math.min(results.length - 1, Math.max(0, active + delta));
    highlight();
  };

  input.addEventListener(
    'input',
    (e) => {
      if (!trusted(e)) return;
      clearTimeout(timer);
      timer = setTimeout(() => runSearch(input.value), debounceMs);
    },
    { signal },
  );
  panel.addEventListener(
    'keydown',
    (e) => {
      if (!trusted(e)) return;
      if ((e.ctrlKey || e.metaKey) && !e.shiftKey && e.key.toLowerCase() === 'z' && undo) {
        e.preventDefault();
        runUndo();
        return;
      }
      switch (e.key) {
        case 'ArrowDown':
          e.preventDefault();
          move(1);
          break;
        case 'ArrowUp':
          e.preventDefault();
          move(-1);
          break;
        case 'Enter':
          if (active >= 0) {
            e.preventDefault();
            void pick(active);
          }
          break;
        case 'Escape':
          e.preventDefault();
          close();
          anchor.focus({ preventScroll: true });
          break;
        case 'Tab':
          // Back to the field first: the browser then moves on from there, to the next field.
          close();
          anchor.focus({ preventScroll: true });
          break;
      }
    },
    { signal },
  );
  undoButton.addEventListener(
    'click',
    (e) => {
      if (trusted(e)) runUndo();
    },
    { signal },
  );
  // Keystrokes in the picker are not the page's business: its shortcuts ("/" to search, "j"/"k") must
  // not fire while the user types a name here. (Capture listeners on the page still see the keys.)
  for (const type of ['keydown', 'keyup', 'keypress', 'input', 'beforeinput', 'paste', 'copy', 'cut']) {
    panel.addEventListener(type, (e) => e.stopPropagation(), { signal });
  }

  // Inline mode: the field keeps focus; ArrowDown enters the picker, Escape or typing dismisses it.
  anchor.addEventListener(
    'keydown',
    (e) => {
      if (!trusted(e) || closed || !input.isConnected) return;
      if (e.key === 'ArrowDown' && done.hidden && !e.altKey) {
        e.preventDefault();
        e.stopPropagation();
        focus();
        if (active < 0) move(1);
      } else if (e.key === 'Escape') {
        e.stopPropagation();
        close();
      }
    },
    { signal, capture: true },
  );
  anchor.addEventListener(
    'input',
    (e) => {
      if (trusted(e) && done.hidden) close();
    },
    { signal },
  );
  // A click anywhere else closes it; events from inside the picker carry the host in their path.
  doc.addEventListener(
    'pointerdown',
    (e) => {
      const path = e.composedPath();
      if (trusted(e) && !path.includes(host) && path[0] !== anchor) close();
    },
    { signal, capture: true },
  );
  host.addEventListener(
    'focusout',
    (e) => {
      const next = (e as FocusEvent).relatedTarget;
      // While filling, focus walks through the form's fields: not a reason to close.
      if (!next || next === host || next === anchor || !done.hidden || picking) return;
      setTimeout(() => {
        if (done.hidden && !picking && !panel.matches(':focus-within')) close();
      }, 0);
    },
    { signal },
  );

  const place = (): void => {
    const box = anchor.getBoundingClientRect();
    const width = Math.min(360, view.innerWidth - 16);
    const below = view.innerHeight - box.bottom;
    const height = panel.getBoundingClientRect().height || 200;
    const top = below >= height + 8 || box.top < height + 8 ? box.bottom + 4 : box.top - height - 4;
    const left = Math.max(8, Math.min(box.left, view.innerWidth - width - 8));
    panel.style.top = `${Math.max(8, top)}px`;
    panel.style.left = `${left}px`;
  };
  let frame = 0;
  const schedule = (): void => {
    if (frame) return;
    frame = view.requestAnimationFrame?.(() => {
      frame = 0;
      if (!closed) place();
    }) ?? 0;
  };
  view.addEventListener('scroll', schedule, { signal, capture: true, passive: true });
  view.addEventListener('resize', schedule, { signal, passive: true });

  // Inside an open modal dialog, anything outside it is inert: the picker goes into the dialog.
  const dialog = anchor.closest('dialog[open]');
  (dialog ?? doc.documentElement).append(host);
  if (typeof host.showPopover === 'function') {
    // The top layer: above any z-index the page uses.
    host.setAttribute('popover', 'manual');
    try {
      host.showPopover();
    } catch {
      host.removeAttribute('popover');
    }
  }
  place();
  say(strings.hint);

  function focus(): void {
    input.focus({ preventScroll: true });
  }

  function close(): void {
    if (closed) return;
    closed = true;
    clearTimeout(timer);
    lifetime.abort();
    if (frame) view.cancelAnimationFrame?.(frame);
    host.remove();
    options.onClose?.();
  }

  signal.addEventListener('abort', close, { once: true });
  if (options.focus ?? true) focus();

  return {
    host,
    get closed() {
      return closed;
    },
    focus,
    setQuery(query: string) {
      input.value = query;
      runSearch(query);
    },
    close,
  };
}

/** The picker's styles: a constructed sheet (not subject to the page's CSP style-src), else a <style>. */
function adoptStyle(root: ShadowRoot, doc: Document): void {
  const Sheet = (doc.defaultView as unknown as { CSSStyleSheet?: typeof CSSStyleSheet } | null)?.CSSStyleSheet;
  try {
    if (!Sheet || !('adoptedStyleSheets' in root)) throw new Error('no constructed sheets');
    const sheet = new Sheet();
    sheet.replaceSync(STYLE);
    root.adoptedStyleSheets = [sheet];
  } catch {
    const style = doc.createElement('style');
    style.textContent = STYLE;
    root.append(style);
  }
}
