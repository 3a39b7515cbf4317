import { classifyControls, type ClassifiedControl, type ClassifyOptions } from '../../../shared/autofill/classify-controls.ts';
import { parseAutocomplete } from '../../../shared/autofill/autocomplete.ts';
import type { FormControl } from '../../../shared/autofill/collect-controls.ts';
import type { ContactField } from '../../../shared/autofill/contact-field.ts';
import { normalizeText } from '../../../shared/autofill/text.ts';
import { formatPhoneForField, parsePhone, type PhoneField } from './phone.ts';
import type { FillValues } from './protocol.ts';

/**
 * Fills classified form controls with one colleague's values the way a person typing would be seen by
 * the page's framework: the native value setter of the element's prototype (React's controlled inputs
 * put their own `value` property on the element to track what JS set; going around it makes React see
 * the change when the input event arrives), then `input` and `change` events, inside focus/blur (Angular
 * marks a control touched on blur; Vue's v-model listens to `input`, `.lazy` to `change`).
 *
 * Pure DOM code over the elements passed in: event constructors and setters come from each element's
 * own window and prototype, so it works in same-origin iframes and in tests on any DOM implementation.
 */

export interface FillOptions {
  /** Replace values already there (default false: what the user typed stays). */
  overwrite?: boolean;
  /** The classifier's results for `root` (default: classify now). */
  classified?: readonly ClassifiedControl[];
  /** Options for classifying when `classified` is not given. */
  classify?: ClassifyOptions;
  /** Fill only these controls (e.g. the section of the field the picker opened at). */
  only?: (control: ClassifiedControl) => boolean;
  /**
   * Focus and blur around each control (Angular marks controls touched on blur, some validators run on it):
   * - `'real'`: `focus()` and `blur()`, as a person tabbing through (each costs a style and layout pass
   *   once values have changed: ~1 ms per control on a page of 500 controls);
   * - `'events'`: the same focus, focusin, blur and focusout events, without moving focus or layout;
   * - `'none'`: input and change only;
   * - `'auto'` (default): real for up to REAL_FOCUS_MAX controls, events beyond (a 250-field fill stays
   *   near 10 ms instead of 150 ms).
   */
  focus?: FocusMode | 'auto';
}

export type SkipReason =
  /** The classifier excluded it (password, payment, hidden…), or it is not fillable any more. */
  | 'excluded'
  /** Not a contact field. */
  | 'no field'
  /** Outside `options.only`. */
  | 'out of scope'
  /** The colleague has no value for it. */
  | 'no value'
  /** It holds a value already (not replaced without `overwrite`). */
  | 'has value'
  /** It holds this very value. */
  | 'same value'
  /** A select without a matching option. */
  | 'no option'
  /** The value doesn't fit: an email or phone number longer than maxlength, a number against the pattern. */
  | 'does not fit';

export interface FilledControl {
  element: FormControl;
  field: ContactField;
  value: string;
  previous: string;
}

export interface SkippedControl {
  element: FormControl;
  field: ContactField | null;
  reason: SkipReason;
  /** Why, in words ("type=password", "maxlength 5"). */
  detail: string;
}

export interface UndoReport {
  restored: FormControl[];
  /** Changed since the fill (by the user or the page): left as they are. */
  kept: FormControl[];
}

export interface FillReport {
  filled: FilledControl[];
  skipped: SkippedControl[];
  /** Puts back what each filled control held, with the same events; leaves controls changed since alone. */
  undo(): UndoReport;
}

export type FocusMode = 'real' | 'events' | 'none';

/** Up to this many controls a fill moves real focus through them (see FillOptions.focus). */
export const REAL_FOCUS_MAX = 40;

/** Input types a contact value may go into; any other (password, hidden, number, date…) is refused at fill time. */
const FILLABLE_TYPES = new Set(['text', 'email', 'tel']);
const PHONE_FIELDS = new Set<ContactField>(['tel', 'tel-country-code', 'tel-national']);
/** Cut to maxlength, these would be wrong rather than short. */
const WHOLE_ONLY = new Set<ContactField>(['email', 'tel', 'tel-country-code', 'tel-national']);

/** The colleague's value for a field, or `null`. */
export function valueFor(field: ContactField, values: FillValues, modifier?: 'home' | 'work' | 'mobile'): string | null {
  switch (field) {
    case 'name':
      return values.name;
    case 'given-name':
      return values.givenName;
    case 'family-name':
      return values.familyName;
    case 'email':
      return values.email;
    case 'tel':
    case 'tel-national':
    case 'tel-country-code':
      return modifier === 'mobile' ? (values.mobile ?? values.phone) : (values.phone ?? values.mobile);
    case 'organization':
      return values.organization;
    case 'organization-title':
      return values.jobTitle;
    case 'department':
      return values.department;
    default:
      // additional-name, honorific-prefix, employee-id: the directory has no such value.
      return null;
  }
}

/**
 * Cuts `value` to at most `max` UTF-16 code units (what maxlength counts) without splitting a
 * character: at a grapheme boundary where Intl.Segmenter exists ("é" written as e + accent stays
 * whole), else at a code point boundary (never half a surrogate pair); trailing spaces dropped.
 */
export function truncate(value: string, max: number): string {
  if (max < 0 || value.length <= max) return value;
  const Segmenter = (Intl as { Segmenter?: typeof Intl.Segmenter }).Segmenter;
  const parts = Segmenter ? Array.from(new Segmenter(undefined, { granularity: 'grapheme' }).segment(value), (s) => s.segment) : Array.from(value);
  let out = '';
  for (const part of parts) {
    if (out.length + part.length > max) break;
    out += part;
  }
  return out.trimEnd();
}

/** A property's setter (or getter) from the element's prototype chain, skipping what is set on the element itself. */
function protoAccessor(element: Element, property: string, kind: 'get' | 'set'): ((this: Element, v?: unknown) => unknown) | undefined {
  for (let proto = Object.getPrototypeOf(element) as object | null; proto; proto = Object.getPrototypeOf(proto) as object | null) {
    const descriptor = Object.getOwnPropertyDescriptor(proto, property);
    if (descriptor) return descriptor[kind] as ((this: Element, v?: unknown) => unknown) | undefined;
  }
  return undefined;
}

const nativeGet = (element: FormControl, property: 'value' | 'selectedIndex'): unknown => {
  const getter = protoAccessor(element, property, 'get');
  return getter ? getter.call(element) : element[property as 'value'];
};

const nativeSet = (element: FormControl, property: 'value' | 'selectedIndex', value: string | number): void => {
  const setter = protoAccessor(element, property, 'set');
  if (setter) setter.call(element, value);
  else (element as unknown as Record<string, unknown>)[property] = value;
};

/** The current value, read through the native getter (a page's own `value` property can't lie to us). */
export const currentValue = (element: FormControl): string => String(nativeGet(element, 'value') ?? '');

type EventWindow = { Event: typeof Event; InputEvent?: typeof InputEvent; FocusEvent?: typeof FocusEvent };

/**
 * Sets a control as typing would: focus, the native setter, `input` (an InputEvent for text: React,
 * Vue and Angular listen to it) and `change`, blur. For a select, `value` holds the option's index.
 */
export function setControlValue(element: FormControl, value: string | number, focus: FocusMode = 'real'): void {
  const view = (element.ownerDocument.defaultView ?? globalThis) as unknown as EventWindow;
  const isSelect = element.localName === 'select';
  const focusEvents = (first: 'focus' | 'blur', second: 'focusin' | 'focusout'): void => {
    const Focus = view.FocusEvent ?? view.Event;
    element.dispatchEvent(new Focus(first, { composed: true }));
    element.dispatchEvent(new Focus(second, { bubbles: true, composed: true }));
  };
  if (focus === 'real') element.focus({ preventScroll: true });
  else if (focus === 'events') focusEvents('focus', 'focusin');
  if (isSelect) nativeSet(element, 'selectedIndex', Number(value));
  else nativeSet(element, 'value', String(value));
  const input =
    !isSelect && view.InputEvent
      ? new view.InputEvent('input', { bubbles: true, composed: true, inputType: 'insertReplacementText', data: String(value) })
      : new view.Event('input', { bubbles: true, composed: true });
  element.dispatchEvent(input);
  element.dispatchEvent(new view.Event('change', { bubbles: true }));
  if (focus === 'real') element.blur();
  else if (focus === 'events') focusEvents('blur', 'focusout');
}

/**
 * Whether a control may be filled now, double-checking what the classifier saw (the page may have
 * changed the type, disabled it or hidden it since): a reason to leave it alone, or `null`.
 */
export function fillBlocker(element: FormControl): string | null {
  return stateBlocker(element) ?? hiddenByLayout(element);
}

/** The checks that need no layout (attributes, type, state): cheap enough to repeat right before writing. */
function stateBlocker(element: FormControl): string | null {
  if (!element.isConnected) return 'detached';
  const tag = element.localName;
  if (tag === 'input') {
    // The property, not the attribute: it says what the browser renders now (an unknown type is "text").
    const type = String((element as HTMLInputElement).type).toLowerCase();
    if (!FILLABLE_TYPES.has(type)) return `type=${type}`;
  } else if (tag !== 'select' && tag !== 'textarea') {
    return tag;
  }
  if (element.disabled || element.matches(':disabled') || inDisabledFieldset(element)) return 'disabled';
  if (tag !== 'select' && (element as HTMLInputElement).readOnly) return 'readonly';
  const hint = parseAutocomplete(element.getAttribute('autocomplete'));
  if (hint.kind === 'excluded') return `autocomplete=${hint.token}`;
  if (element.closest('[hidden],[aria-hidden="true"],[inert]')) return 'hidden';
  return null;
}

/** HTML: a disabled fieldset disables its controls, except those in its first legend (what `:disabled` says, where implemented). */
function inDisabledFieldset(element: Element): boolean {
  for (let fieldset = element.closest('fieldset[disabled]'); fieldset; fieldset = fieldset.parentElement?.closest('fieldset[disabled]') ?? null) {
    const legend = Array.from(fieldset.children).find((c) => c.localName === 'legend');
    if (!legend?.contains(element)) return true;
  }
  return false;
}

/**
 * Layout checks, where there is layout: `display:none`/`visibility:hidden`/`opacity:0` from any
 * stylesheet, a zero-size box, or a box pushed off the page (the usual honeypot: filling it marks the
 * submission as spam).
 */
function hiddenByLayout(element: FormControl): string | null {
  const html = element.ownerDocument.documentElement;
  // No layout engine (happy-dom, jsdom): every box is empty, which says nothing.
  if (!html || html.getBoundingClientRect().width === 0) return null;
  if (typeof element.checkVisibility === 'function' && !element.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return 'hidden';
  const box = element.getBoundingClientRect();
  if (box.width < 1 || box.height < 1) return 'hidden';
  const view = element.ownerDocument.defaultView;
  if (view && (box.right + view.scrollX <= 0 || box.bottom + view.scrollY <= 0)) return 'hidden';
  return null;
}

const fold = (text: string): string => normalizeText(text);

/**
 * The option of a select that says `wanted` (value or label, ignoring case, accents and punctuation),
 * or -1. For a country-code select, "+49", "49", "Deutschland (+49)" or "DE +49" all match "+49".
 */
export function matchOption(select: HTMLSelectElement, wanted: string, field?: ContactField): number {
  const target = fold(wanted);
  const options = Array.from(select.options);
  const usable = (o: HTMLOptionElement): boolean => !o.disabled && o.value !== '';
  let index = options.findIndex((o) => usable(o) && fold(o.label || o.text) === target);
  if (index < 0) index = options.findIndex((o) => usable(o) && fold(o.value) === target);
  if (index < 0 && field === 'tel-country-code') {
    const code = wanted.replace(/\D/g, '');
    const plus = new RegExp(`(?:^|[^\\d])\\+${code}(?!\\d)`);
    index = options.findIndex((o) => usable(o) && (plus.test(o.label || o.text) || plus.test(o.value) || o.value.replace(/\D/g, '') === code && /^\+?\d+$/.test(o.value.trim())));
  }
  return index;
}

/** The option a select shows when the user has chosen nothing (the selected-by-default one, else the first). */
function defaultIndex(select: HTMLSelectElement): number {
  const options = Array.from(select.options);
  let found = -1;
  options.forEach((o, i) => {
    if (o.defaultSelected) found = i;
  });
  return found >= 0 ? found : select.multiple || select.size > 1 ? -1 : 0;
}

const phoneFieldOf = (element: FormControl, field: PhoneField['field']): PhoneField => ({
  field,
  pattern: element.getAttribute('pattern'),
  maxLength: element.localName === 'select' ? -1 : (element as HTMLInputElement).maxLength,
  placeholder: element.getAttribute('placeholder'),
});

interface Plan {
  value: string;
  /** For selects, the option index to choose. */
  index?: number;
}

/** What to write into one control, or why not. */
function plan(control: ClassifiedControl, wanted: string): Plan | { reason: SkipReason; detail: string } {
  const { element, field } = control;
  if (element.localName === 'select') {
    const select = element as HTMLSelectElement;
    let target = wanted;
    if (field === 'tel-country-code') {
      const phone = parsePhone(wanted);
      if (!phone?.countryCode) return { reason: 'does not fit', detail: 'no country code in the number' };
      target = `+${phone.countryCode}`;
    }
    const index = matchOption(select, target, field ?? undefined);
    if (index < 0) return { reason: 'no option', detail: `no option for "${target}"` };
    return { value: select.options[index]!.value, index };
  }
  const maxLength = (element as HTMLInputElement).maxLength;
  if (field && PHONE_FIELDS.has(field)) {
    const formatted = formatPhoneForField(wanted, phoneFieldOf(element, field as PhoneField['field']));
    return formatted === null ? { reason: 'does not fit', detail: 'no form of the number fits the pattern or maxlength' } : { value: formatted };
  }
  if (maxLength >= 0 && wanted.length > maxLength) {
    if (field && WHOLE_ONLY.has(field)) return { reason: 'does not fit', detail: `maxlength ${maxLength}` };
    return { value: truncate(wanted, maxLength) };
  }
  return { value: wanted };
}

/**
 * Fills `root`'s contact fields with the colleague's values and reports what it did. Controls the
 * classifier excluded are never touched, and each control is checked again before it is set.
 */
export function fillForm(root: ParentNode, values: FillValues, options: FillOptions = {}): FillReport {
  const classified = options.classified ?? classifyControls(root, options.classify);
  const focusOption = options.focus ?? 'auto';
  const filled: (FilledControl & { previousIndex?: number })[] = [];
  const skipped: SkippedControl[] = [];
  const skip = (control: ClassifiedControl, reason: SkipReason, detail = ''): void => {
    skipped.push({ element: control.element, field: control.field, reason, detail });
  };

  const start = (root as Node).ownerDocument ?? (root as Document);
  const active = deepActiveElement(start);

  // Two passes: every check first, then every write. Checks read layout (visibility, boxes); writes and
  // their events invalidate it; interleaved, each control would cost a full layout of the page.
  const planned: { control: ClassifiedControl & { field: ContactField }; step: Plan; previous: string; previousIndex?: number }[] = [];
  for (const control of classified) {
    const { element, field } = control;
    if (control.reason.startsWith('excluded')) {
      skip(control, 'excluded', control.reason.slice('excluded: '.length));
      continue;
    }
    if (!field) {
      skip(control, 'no field', control.reason);
      continue;
    }
    if (options.only && !options.only(control)) {
      skip(control, 'out of scope');
      continue;
    }
    const blocker = fillBlocker(element);
    if (blocker) {
      skip(control, 'excluded', blocker);
      continue;
    }
    const wanted = valueFor(field, values, control.modifier);
    if (!wanted) {
      skip(control, 'no value');
      continue;
    }
    const step = plan(control, wanted);
    if ('reason' in step) {
      skip(control, step.reason, step.detail);
      continue;
    }
    const isSelect = element.localName === 'select';
    const previous = currentValue(element);
    const previousIndex = isSelect ? (element as HTMLSelectElement).selectedIndex : undefined;
    if (isSelect ? previousIndex === step.index : previous === step.value) {
      skip(control, 'same value');
      continue;
    }
    const userSet = isSelect ? previousIndex !== defaultIndex(element as HTMLSelectElement) && previous !== '' : previous !== '';
    if (userSet && !options.overwrite) {
      skip(control, 'has value');
      continue;
    }
    planned.push({ control: control as ClassifiedControl & { field: ContactField }, step, previous, previousIndex });
  }

  const focus: FocusMode = focusOption === 'auto' ? (planned.length <= REAL_FOCUS_MAX ? 'real' : 'events') : focusOption;
  for (const { control, step, previous, previousIndex } of planned) {
    const { element, field } = control;
    // The page's handlers ran since the checks (events of the fields before): check the state again.
    const blocker = stateBlocker(element);
    if (blocker) {
      skip(control, 'excluded', blocker);
      continue;
    }
    const isSelect = element.localName === 'select';
    const now = currentValue(element);
    if (now !== previous && !options.overwrite) {
      skip(control, now === step.value ? 'same value' : 'has value', 'changed by the page while filling');
      continue;
    }
    setControlValue(element, isSelect ? step.index! : step.value, focus);
    const entry: FilledControl & { previousIndex?: number } = { element, field, value: step.value, previous };
    if (isSelect) entry.previousIndex = previousIndex;
    filled.push(entry);
  }
  if (focus === 'real' && filled.length > 0) restoreFocus(active);

  let undone = false;
  return {
    filled: filled.map(({ previousIndex: _index, ...rest }) => rest),
    skipped,
    undo() {
      const report: UndoReport = { restored: [], kept: [] };
      if (undone) return report;
      undone = true;
      const before = deepActiveElement(start);
      for (const entry of [...filled].reverse()) {
        const { element } = entry;
        const isSelect = element.localName === 'select';
        const unchanged = element.isConnected && currentValue(element) === entry.value;
        if (!unchanged) {
          report.kept.push(element);
          continue;
        }
        setControlValue(element, isSelect ? entry.previousIndex! : entry.previous, focus);
        report.restored.push(element);
      }
      if (focus === 'real' && report.restored.length > 0) restoreFocus(before);
      return report;
    },
  };
}

/** The focused element, looking into open shadow roots and same-origin frames. */
export function deepActiveElement(document: Document): Element | null {
  let active: Element | null = document.activeElement;
  for (;;) {
    const inner: Element | null | undefined = active?.shadowRoot?.activeElement ?? (active && /^i?frame$/.test(active.localName) ? safeFrameDocument(active)?.activeElement : undefined);
    if (!inner || inner === active) return active;
    active = inner;
  }
}

function safeFrameDocument(frame: Element): Document | null {
  try {
    return (frame as HTMLIFrameElement).contentDocument;
  } catch {
    return null;
  }
}

function restoreFocus(element: Element | null): void {
  if (element && element.isConnected && typeof (element as HTMLElement).focus === 'function' && element.localName !== 'body') (element as HTMLElement).focus({ preventScroll: true });
}
