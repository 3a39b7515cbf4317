import { classifyControls, type ClassifiedControl } from '../../../shared/autofill/classify-controls.ts';
import { toDesignField } from '../../../shared/autofill/contact-field.ts';
import type { PatternMatcher } from '../../../shared/autofill/match-patterns.ts';
import { currentValue, deepActiveElement, fillBlocker, fillForm, type FillReport } from './fill.ts';
import { createPicker, type Picker, type PickerStrings } from './picker.ts';
import {
  AUTOFILL_CONFIG,
  AUTOFILL_INLINE,
  AUTOFILL_OPEN,
  AUTOFILL_RESULT_LIMIT,
  AUTOFILL_SEARCH,
  AUTOFILL_UNDO,
  AUTOFILL_VALUES,
  FILL_VALUE_KEYS,
  type AutofillConfig,
  type AutofillEnvelope,
  type AutofillRequest,
  type Colleague,
  type FillValues,
  type OpenResult,
  type UndoResult,
} from './protocol.ts';

/**
 * The content script's logic (the entrypoint only hands it the page, the runtime and WXT's context):
 * classify the page, show the picker at a recognised field, fill the section of that field with the
 * picked colleague's values, undo on request.
 *
 * What the page can learn: the picker's host element (nothing inside it, a closed shadow root), the
 * events a person typing would cause, and after a pick the values written into its fields. The
 * directory stays in the background: searches and values travel over `runtime` messages, which the page
 * can neither send nor read.
 */

type MessageListener = (message: unknown, sender: { id?: string }, sendResponse: (response: unknown) => void) => boolean | void;

/** The parts of `browser.runtime` used here. */
export interface RuntimeLike {
  id?: string;
  sendMessage(message: unknown): Promise<unknown>;
  onMessage: { addListener(listener: MessageListener): void; removeListener(listener: MessageListener): void };
}

/** The parts of WXT's ContentScriptContext used here. */
export interface ContextLike {
  readonly signal: AbortSignal;
  onInvalidated(callback: () => void): () => void;
}

export interface AutofillEnv {
  document: Document;
  runtime: RuntimeLike;
  ctx: ContextLike;
  /** Compiled pattern tables (default: every built-in language). */
  patterns?: PatternMatcher;
  strings?: Partial<PickerStrings>;
  /** Accept only browser-made input in the picker (default true). */
  requireTrusted?: boolean;
  /** Start in inline mode without asking the background (default: ask with `autofill/config`). */
  inline?: boolean;
}

export interface AutofillController {
  /** Opens the picker at the focused recognised field, else at the first one. */
  open(): OpenResult;
  /** Restores what the last fill replaced. */
  undo(): UndoResult;
  setInline(enabled: boolean): void;
  /** Settles once the background said whether inline mode is on. */
  readonly ready: Promise<void>;
}

/** Fields a directory entry has a value for (the rest — honorific, middle name, employee id — never open the picker). */
const fillable = (c: ClassifiedControl): boolean => toDesignField(c.field) !== null && !c.reason.startsWith('excluded') && fillBlocker(c.element) === null;

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Checks the background's answers: the page side trusts nothing it didn't check. */
export function readColleagues(value: unknown): Colleague[] {
  if (!Array.isArray(value)) throw new Error('bad answer');
  return value.slice(0, AUTOFILL_RESULT_LIMIT).flatMap((raw: Record<string, unknown> | null) => {
    const id = str(raw?.id);
    const displayName = str(raw?.displayName);
    return id && displayName ? [{ id, displayName, jobTitle: str(raw?.jobTitle), mail: str(raw?.mail) }] : [];
  });
}

export function readFillValues(value: unknown): FillValues {
  if (typeof value !== 'object' || value === null) throw new Error('bad answer');
  const raw = value as Record<string, unknown>;
  return Object.fromEntries(FILL_VALUE_KEYS.map((key) => [key, str(raw[key])])) as unknown as FillValues;
}

export function startAutofill(env: AutofillEnv): AutofillController {
  const { document, runtime, ctx } = env;
  const signal = ctx.signal;
  let picker: Picker | null = null;
  let pickerAnchor: Element | null = null;
  let lastFill: { report: FillReport; stop: AbortController } | null = null;
  let inline: AbortController | null = null;
  /** A field whose picker the user dismissed: focusing it again doesn't bring the picker back. */
  let dismissed: Element | null = null;
  let filling = false;
  let known = new WeakMap<Element, ClassifiedControl>();
  let classifiedAt = -Infinity;

  const classify = (): ClassifiedControl[] => {
    const classified = classifyControls(document, { patterns: env.patterns });
    known = new WeakMap(classified.map((c) => [c.element, c]));
    classifiedAt = performance.now();
    return classified;
  };

  const request = async (message: AutofillRequest): Promise<unknown> => {
    const response = (await runtime.sendMessage(message)) as AutofillEnvelope<unknown> | undefined;
    if (response === undefined || response === null) throw new Error('no answer');
    if (typeof response === 'object' && 'ok' in response) {
      if (response.ok) return response.value;
      throw Object.assign(new Error(response.error.message), { code: response.error.code });
    }
    return response;
  };

  const undo = (): UndoResult => {
    if (!lastFill) return { restored: 0 };
    const { report, stop } = lastFill;
    lastFill = null;
    stop.abort();
    filling = true;
    try {
      return { restored: report.undo().restored.length };
    } finally {
      filling = false;
    }
  };

  /** Fills the section of `anchor` (its form, fieldset or autocomplete section) and keeps the undo. */
  const fill = (values: FillValues, anchor: Element): { filled: number; undo: () => number } => {
    const classified = classify();
    const section = known.get(anchor)?.section;
    lastFill?.stop.abort();
    filling = true;
    let report: FillReport;
    try {
      report = fillForm(document, values, { classified, only: (c) => section === undefined || c.section === section });
    } finally {
      filling = false;
    }
    // Ctrl+Z (Cmd+Z) in a field just filled undoes the whole fill; the browser's own undo knows nothing of it.
    const stop = new AbortController();
    const onKey = (event: KeyboardEvent): void => {
      if (!event.isTrusted && env.requireTrusted !== false) return;
      if ((event.ctrlKey || event.metaKey) && !event.shiftKey && !event.altKey && event.key.toLowerCase() === 'z' && lastFill?.report === report) {
        const target = event.composedPath()[0];
        const entry = report.filled.find((f) => f.element === target);
        if (entry && currentValue(entry.element) === entry.value) {
          event.preventDefault();
          undo();
        }
      }
    };
    for (const { element } of report.filled) (element as HTMLElement).addEventListener('keydown', onKey, { signal: AbortSignal.any([signal, stop.signal]) });
    lastFill = { report, stop };
    // The picker's Undo undoes this fill, not one made after it.
    return { filled: report.filled.length, undo: () => (lastFill?.report === report ? undo().restored : 0) };
  };

  const showPicker = (control: ClassifiedControl, focus: boolean): void => {
    picker?.close();
    const anchor = control.element;
    pickerAnchor = anchor;
    dismissed = null;
    const opened: Picker = createPicker({
      anchor,
      focus,
      signal,
      strings: env.strings,
      requireTrusted: env.requireTrusted,
      search: async (query) => readColleagues(await request({ type: AUTOFILL_SEARCH, query })),
      resolve: async (id) => readFillValues(await request({ type: AUTOFILL_VALUES, id })),
      onPick: (values) => fill(values, anchor),
      onClose: () => {
        if (picker === opened) {
          picker = null;
          pickerAnchor = null;
          dismissed = anchor;
        }
      },
    });
    picker = opened;
  };

  const open = (): OpenResult => {
    const recognised = classify().filter(fillable);
    if (recognised.length === 0) return { fields: 0 };
    const active = deepActiveElement(document);
    const control = recognised.find((c) => c.element === active) ?? recognised[0]!;
    if (control.element !== active) control.element.scrollIntoView?.({ block: 'center' });
    showPicker(control, true);
    return { fields: recognised.length };
  };

  const onFocusIn = (event: FocusEvent): void => {
    if (filling || (!event.isTrusted && env.requireTrusted !== false)) return;
    // Text inputs only: in a select or a textarea the arrow keys are the user's (ArrowDown enters the
    // picker). nodeType, not instanceof: elements of other realms (frames) are elements too.
    const target = event.composedPath()[0] as Element | undefined;
    if (target?.nodeType !== 1 || target.localName !== 'input') return;
    if (target !== dismissed) dismissed = null;
    if (target === pickerAnchor || target === dismissed) return;
    // A field the last classification didn't see (the page added it since): classify again, at most
    // twice a second.
    if (!known.has(target) && performance.now() - classifiedAt > 500) classify();
    const control = known.get(target);
    if (!control || !fillable(control) || currentValue(control.element) !== '') return;
    showPicker(control, false);
  };

  const setInline = (enabled: boolean): void => {
    if (enabled === (inline !== null)) return;
    if (!enabled) {
      inline?.abort();
      inline = null;
      return;
    }
    inline = new AbortController();
    document.addEventListener('focusin', onFocusIn, { capture: true, signal: AbortSignal.any([signal, inline.signal]) });
  };

  const listener: MessageListener = (message, sender, sendResponse) => {
    if (runtime.id && sender?.id !== runtime.id) return false;
    const type = (message as { type?: unknown } | null)?.type;
    let value: OpenResult | UndoResult | AutofillConfig;
    if (type === AUTOFILL_OPEN) value = open();
    else if (type === AUTOFILL_UNDO) value = undo();
    else if (type === AUTOFILL_INLINE && typeof (message as { enabled?: unknown }).enabled === 'boolean') {
      setInline((message as { enabled: boolean }).enabled);
      value = { inline: inline !== null };
    } else return false;
    sendResponse({ ok: true, value });
    return false;
  };
  runtime.onMessage.addListener(listener);
  ctx.onInvalidated(() => {
    runtime.onMessage.removeListener(listener);
    picker?.close();
    lastFill?.stop.abort();
  });

  const ready =
    env.inline !== undefined
      ? Promise.resolve(setInline(env.inline))
      : request({ type: AUTOFILL_CONFIG }).then(
          (config) => {
            if (!signal.aborted) setInline((config as Partial<AutofillConfig> | null)?.inline === true);
          },
          () => undefined,
        );

  return { open, undo, setInline, ready };
}
