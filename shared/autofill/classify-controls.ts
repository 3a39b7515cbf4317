import { createAncestry, type Ancestry } from './ancestry.ts';
import { parseAutocomplete } from './autocomplete.ts';
import { collectControls, describe, type CollectOptions, type FormControl } from './collect-controls.ts';
import type { ContactField } from './contact-field.ts';
import { createLabelIndex, labelText, nearbyText, type LabelIndex } from './label-text.ts';
import { defaultPatterns, type PatternMatch, type PatternMatcher } from './match-patterns.ts';
import { HARD_EXCLUSIONS, type PatternKind } from './patterns/index.ts';
import { normalizeIdentifier, normalizeText, squash } from './text.ts';

/** The signal that decided a control's field, in the order they are consulted. */
export type Signal = 'autocomplete' | 'label' | 'name' | 'id' | 'placeholder' | 'nearby-text' | 'type' | 'options';

/**
 * Why a control got its field: the deciding signal; `excluded: …` for a control Peoplebook must leave
 * alone; `ambiguous: …` when the signals contradict each other; `no match` when nothing says anything.
 */
export type Reason = Signal | `excluded: ${string}` | `ambiguous: ${string}` | 'no match';

export interface ClassifiedControl {
  element: FormControl;
  /** The contact field this control takes, or `null` to leave it alone. */
  field: ContactField | null;
  /** 0–1: how sure the deciding signal is (autocomplete 0.95 … nearby text 0.55). */
  confidence: number;
  reason: Reason;
  /** The text or attribute value that decided, for reports ("First name", "given-name"). */
  evidence: string;
  /** The form (or fieldset, section, document) the control belongs to, plus its autocomplete section. */
  section: string;
  /** For telephone fields: the kind of number asked for (autocomplete `mobile tel`, a "Mobile" label). */
  modifier?: 'home' | 'work' | 'mobile';
}

export interface ClassifyOptions extends CollectOptions {
  /** Compiled pattern tables (`compilePatterns(tables)`); defaults to every built-in language. */
  patterns?: PatternMatcher;
  /** The page's language, when the markup doesn't say (`lang` attributes win). */
  lang?: string;
}

const CONFIDENCE: Record<Signal, number> = {
  autocomplete: 0.95,
  label: 0.9,
  options: 0.85,
  name: 0.75,
  id: 0.7,
  placeholder: 0.65,
  type: 0.6,
  'nearby-text': 0.55,
};

/** Input types that never take a contact value (https://html.spec.whatwg.org/#attr-input-type). */
const EXCLUDED_TYPES = new Set([
  'password',
  'hidden',
  'file',
  'submit',
  'button',
  'checkbox',
  'radio',
  'image',
  'reset',
  'range',
  'color',
  'date',
  'datetime-local',
  'month',
  'week',
  'time',
  'search',
]);
/** Kinds that make a control "leave alone" rather than just "not a contact field". */
const EXCLUSION_KINDS: ReadonlySet<PatternKind> = new Set([...HARD_EXCLUSIONS, 'address']);
const TEL_FAMILY: ReadonlySet<ContactField> = new Set(['tel', 'tel-country-code', 'tel-national']);
/**
 * How close (in controls of the same section) an organization field must be for a bare "Title" to be a
 * job title: CRM lead forms put Company and Title within a row or two, also in two-column tables.
 */
const TITLE_NEIGHBOURHOOD = 3;
/** A short free-text "Title" is a salutation ("Dr."), not a job title. */
const HONORIFIC_MAX_LENGTH = 10;

/** Work in progress on one control, before the per-section rules run. */
interface Draft extends ClassifiedControl {
  group: string;
  pending?: 'name-generic' | 'title';
  /** Excluded by its type or state: not a neighbour that tells anything about the form. */
  inert: boolean;
}

/**
 * Classifies every form control under `root` (a Document, Element or ShadowRoot): which contact field
 * it takes, or why it must be left alone. Pure: DOM methods of the nodes passed in, no globals.
 *
 * Rules, in order:
 * 1. Type and state: password, hidden, file, buttons, checkboxes, date pickers, search inputs, disabled,
 *    read-only, hidden (`hidden`, inline `display:none`, `aria-hidden`, `inert`) controls and search
 *    boxes (`role=searchbox`, inside `role=search`) are excluded.
 * 2. The `autocomplete` attribute, when it names a field (see autocomplete.ts), is final.
 * 3. Label, then `name`, then `id`, then placeholder, then nearby text: the first that matches a pattern
 *    decides. Within one text the most specific kind wins (KIND_PRIORITY). A credential, code, payment,
 *    username or search match in any later label/name/id/placeholder vetoes the field: filling a card
 *    or password field costs trust, leaving a field empty costs a keystroke.
 * 4. `type=email` / `type=tel` make the field email / a telephone field whatever the words say; a
 *    `<select>` whose options are salutations is honorific-prefix.
 * 5. Per form (or fieldset/section outside forms): a bare "Name" ("Nom", "Nombre", "Nome", "Naam")
 *    becomes family-name beside a given-name field (Vorname + Name, Prénom + Nom), given-name beside a
 *    family-name field (Nombre + Apellidos, Nome + Cognome), stays name when neither is there, and is
 *    left alone when both are (ambiguous). An explicit full name ("Full name", "氏名") always stays name.
 * 6. A bare "Title" is honorific-prefix in a select of salutations or when at most 10 characters long,
 *    organization-title within three controls of an organization field (CRM leads: Company, Title),
 *    else left alone (in a ticket or a post it is the subject).
 */
export function classifyControls(root: ParentNode, options: ClassifyOptions = {}): ClassifiedControl[] {
  const patterns = options.patterns ?? defaultPatterns();
  const indexes = new Map<Document | ShadowRoot, LabelIndex>();
  const groups = new Map<Element, string>();
  const groupCounts = new Map<string, number>();

  const ancestry = createAncestry();
  /** The form, else the fieldset/section/dialog/role=group, else the document or shadow root. */
  const groupOf = (element: FormControl, scope: string, container: Element | null): string => {
    container = element.form ?? container;
    if (!container) return scope || 'document';
    let name = groups.get(container);
    if (name === undefined) {
      const kind = container.localName;
      const count = (groupCounts.get(`${scope}|${kind}`) ?? 0) + 1;
      groupCounts.set(`${scope}|${kind}`, count);
      name = scope ? `${scope} > ${describe(container, count)}` : describe(container, count);
      groups.set(container, name);
    }
    return name;
  };

  const drafts: Draft[] = collectControls(root, options).map(({ element, root: owner, scope }) => {
    let index = indexes.get(owner);
    if (!index) indexes.set(owner, (index = createLabelIndex(owner)));
    const inherited = ancestry(element);
    const group = groupOf(element, scope, inherited.container);
    const draft = classifyOne(element, index, patterns, options.lang, inherited);
    return { ...draft, group, section: draft.section ? `${group} ${draft.section}` : group };
  });

  resolveSections(drafts);
  return drafts.map(({ group: _group, pending: _pending, inert: _inert, ...result }) => result);
}

interface Text {
  signal: Signal;
  raw: string;
  text: string;
}

const excluded = (element: FormControl, why: string, evidence = '', confidence = 1): Draft => ({
  element,
  group: '',
  section: '',
  inert: true,
  field: null,
  confidence,
  reason: `excluded: ${why}`,
  evidence,
});

/** An email input takes an email, a telephone input a telephone number, whatever its label claims. */
const byType = (result: Draft, field: ContactField | null, evidence: string): Draft => {
  const { pending: _pending, modifier: _modifier, ...rest } = result;
  return { ...rest, field, confidence: CONFIDENCE.type, reason: 'type', evidence };
};

function classifyOne(element: FormControl, index: LabelIndex, patterns: PatternMatcher, langOverride: string | undefined, inherited: Ancestry): Draft {
  const base = { element, group: '', section: '', inert: false } as const;

  // 1. Type and state.
  const tag = element.localName;
  const type = tag === 'input' ? (element.getAttribute('type') ?? 'text').toLowerCase() : tag;
  if (EXCLUDED_TYPES.has(type)) return excluded(element, `type=${type}`);
  if (element.hasAttribute('disabled')) return excluded(element, 'disabled');
  if (tag !== 'select' && element.hasAttribute('readonly')) return excluded(element, 'readonly');
  if (inherited.exclusion) return excluded(element, inherited.exclusion);

  // 2. autocomplete.
  const hint = parseAutocomplete(element.getAttribute('autocomplete'));
  if (hint.kind === 'excluded') return excluded(element, `autocomplete=${hint.token}`, hint.token, CONFIDENCE.autocomplete);
  if (hint.kind === 'other') return { ...base, field: null, confidence: CONFIDENCE.autocomplete, reason: 'autocomplete', evidence: hint.token };
  if (hint.kind === 'field') {
    const result: Draft = { ...base, field: hint.field, confidence: CONFIDENCE.autocomplete, reason: 'autocomplete', evidence: hint.token, section: hint.section };
    if (hint.modifier) result.modifier = hint.modifier;
    return result;
  }

  // 3. Words: label, name, id, placeholder, nearby text.
  const lang = langOverride ?? inherited.lang;
  const texts: Text[] = [];
  const label = labelText(element, index, inherited.label);
  if (label) texts.push({ signal: 'label', raw: label, text: normalizeText(label) });
  const name = element.getAttribute('name');
  if (name) texts.push({ signal: 'name', raw: name, text: normalizeIdentifier(name) });
  const id = element.getAttribute('id');
  if (id) texts.push({ signal: 'id', raw: id, text: normalizeIdentifier(id) });
  const placeholder = element.getAttribute('placeholder');
  if (placeholder) texts.push({ signal: 'placeholder', raw: placeholder, text: normalizeText(placeholder) });

  let decided: { signal: Signal; match: PatternMatch; raw: string; text: string } | undefined;
  let title: { signal: Signal; raw: string } | undefined;
  let nearbyTried = false;
  let i = 0;
  for (; i <= texts.length; i++) {
    if (i === texts.length) {
      // Nearby text only when nothing else spoke: it is the weakest and the costliest signal.
      if (nearbyTried || title) break;
      nearbyTried = true;
      const nearby = nearbyText(element);
      if (nearby) texts.push({ signal: 'nearby-text', raw: nearby, text: normalizeText(nearby) });
      if (i === texts.length) break;
    }
    const { signal, raw, text } = texts[i]!;
    const match = patterns.match(text, lang);
    if (!match) continue;
    if (match.kind === 'title') {
      title ??= { signal, raw };
      continue;
    }
    decided = { signal, match, raw, text };
    break;
  }

  const result: Draft = { ...base, field: null, confidence: 0, reason: 'no match', evidence: '' };
  if (decided) {
    const { signal, match, raw } = decided;
    result.confidence = CONFIDENCE[signal];
    result.evidence = squash(raw);
    if (EXCLUSION_KINDS.has(match.kind)) return { ...result, reason: `excluded: ${match.kind} (${signal})` };
    result.reason = signal;
    if (match.kind !== 'other') {
      // The veto: a later signal that says credential, code, payment, username or search.
      for (let j = i + 1; j < texts.length; j++) {
        const later = texts[j]!;
        if (later.signal === 'nearby-text') continue;
        const veto = patterns.matchAny(later.text, HARD_EXCLUSIONS, lang);
        if (veto) return { ...result, confidence: CONFIDENCE[later.signal], evidence: squash(later.raw), reason: `excluded: ${veto.kind} (${later.signal})` };
      }
      if (match.kind === 'name-generic') {
        result.field = 'name';
        result.pending = 'name-generic';
      } else if (match.kind === 'name-full') {
        result.field = 'name';
      } else {
        result.field = match.kind as ContactField;
      }
      if (result.field === 'tel' && patterns.isMobile(decided.text)) result.modifier = 'mobile';
    }
  }

  // 4. What the type and the options say.
  if (type === 'email' && result.field !== 'email' && (result.field !== null || !decided)) return byType(result, 'email', 'type=email');
  if (type === 'tel' && (result.field === null ? !decided : !TEL_FAMILY.has(result.field))) return byType(result, 'tel', 'type=tel');
  if (type === 'url' && result.field !== null) return byType(result, null, 'type=url');

  if (tag === 'select' && (!decided || result.field === 'honorific-prefix') && hasHonorificOptions(element as HTMLSelectElement, patterns)) {
    return { ...result, field: 'honorific-prefix', confidence: CONFIDENCE.options, reason: decided ? result.reason : 'options', evidence: decided ? result.evidence : 'salutation options' };
  }
  if (!decided && title) {
    const maxLength = Number(element.getAttribute('maxlength') ?? NaN);
    result.confidence = CONFIDENCE[title.signal];
    result.evidence = squash(title.raw);
    if (tag === 'input' && maxLength > 0 && maxLength <= HONORIFIC_MAX_LENGTH) return { ...result, field: 'honorific-prefix', reason: title.signal };
    return { ...result, reason: title.signal, pending: 'title' };
  }
  return result;
}

function hasHonorificOptions(select: HTMLSelectElement, patterns: PatternMatcher): boolean {
  let valued = 0;
  let honorific = 0;
  for (const option of select.querySelectorAll('option')) {
    const text = normalizeText(option.textContent ?? '');
    if (!text || option.getAttribute('value') === '') continue;
    valued++;
    if (patterns.isHonorific(text)) honorific++;
  }
  return honorific >= 2 && honorific * 2 >= valued;
}

/** Rules 5 and 6: decisions that need the rest of the form. */
function resolveSections(drafts: Draft[]): void {
  const bySection = new Map<string, Draft[]>();
  for (const draft of drafts) {
    const list = bySection.get(draft.group);
    if (list) list.push(draft);
    else bySection.set(draft.group, [draft]);
  }
  for (const members of bySection.values()) {
    const hasGiven = members.some((d) => d.field === 'given-name');
    const hasFamily = members.some((d) => d.field === 'family-name');
    for (const draft of members) {
      if (draft.pending !== 'name-generic') continue;
      if (hasGiven && hasFamily) {
        Object.assign(draft, { field: null, reason: 'ambiguous: a bare name beside given and family name fields' });
      } else if (hasGiven) {
        Object.assign(draft, { field: 'family-name', confidence: draft.confidence * 0.9 });
      } else if (hasFamily) {
        Object.assign(draft, { field: 'given-name', confidence: draft.confidence * 0.9 });
      }
    }
    const live = members.filter((d) => !d.inert);
    live.forEach((draft, i) => {
      if (draft.pending !== 'title') return;
      const near = live.slice(Math.max(0, i - TITLE_NEIGHBOURHOOD), i + TITLE_NEIGHBOURHOOD + 1);
      if (near.some((n) => n.field === 'organization')) {
        Object.assign(draft, { field: 'organization-title', confidence: draft.confidence * 0.7 });
      } else {
        Object.assign(draft, { field: null, reason: 'ambiguous: a bare title (job title, salutation or subject)' });
      }
    });
  }
}
