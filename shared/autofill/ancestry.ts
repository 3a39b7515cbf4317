/**
 * What a control inherits from its ancestors: whether something above hides or disables it, its
 * language, the fieldset/section that groups it outside forms, and a wrapping label. Computed once per
 * ancestor and shared by all the controls below it, since 500 controls usually share one form, body
 * and html element (DOM implementations make every attribute read and `closest()` walk costly).
 */
export interface Ancestry {
  /** Why the element is out of reach ('hidden', 'aria-hidden', 'inert', 'disabled', 'search'), or null. */
  exclusion: string | null;
  /** Primary subtag of the nearest `lang` attribute. */
  lang: string | undefined;
  /** Nearest fieldset, section, dialog or role=form/group (not crossing a shadow boundary). */
  container: Element | null;
  /** Nearest label ancestor (not crossing a shadow boundary). */
  label: Element | null;
}

const HIDING_STYLE = /(?:^|;)\s*(?:display\s*:\s*none|visibility\s*:\s*hidden)/i;
const CONTAINERS = new Set(['fieldset', 'section', 'dialog']);
const NONE: Ancestry = { exclusion: null, lang: undefined, container: null, label: null };

/** Exclusion an element carries itself, whether it is the control or an ancestor of it. */
function ownExclusion(element: Element, isControl: boolean): string | null {
  if (element.hasAttribute('hidden')) return 'hidden';
  const ariaHidden = element.getAttribute('aria-hidden');
  if (ariaHidden === 'true') return 'aria-hidden';
  if (element.hasAttribute('inert')) return 'inert';
  const style = element.getAttribute('style');
  if (style && HIDING_STYLE.test(style)) return 'hidden';
  const role = element.getAttribute('role');
  if (role === 'searchbox' || (!isControl && role === 'search')) return 'search';
  return null;
}

export function createAncestry(): (element: Element) => Ancestry {
  const cache = new Map<Element, Ancestry>();

  /** What `parent` passes down to `child`. */
  const passedDown = (parent: Element | null, child: Element, crossing: boolean): Ancestry => {
    if (!parent) return NONE;
    const inherited = infoOf(parent, false);
    let exclusion = inherited.exclusion;
    // A disabled fieldset disables everything in it but the contents of its first legend.
    if (!exclusion && parent.localName === 'fieldset' && parent.hasAttribute('disabled')) {
      let firstLegend: Element | null = null;
      for (const c of parent.children) if (c.localName === 'legend') {
        firstLegend = c;
        break;
      }
      if (child !== firstLegend) exclusion = 'disabled';
    }
    if (crossing) return { exclusion, lang: inherited.lang, container: null, label: null };
    return exclusion === inherited.exclusion ? inherited : { ...inherited, exclusion };
  };

  const parentOf = (element: Element): { parent: Element | null; crossing: boolean } => {
    if (element.parentElement) return { parent: element.parentElement, crossing: false };
    const root = element.parentNode;
    // nodeType 11: a shadow root; its host carries on the ancestry (hidden host, hidden contents).
    if (root && root.nodeType === 11 && (root as ShadowRoot).host) return { parent: (root as ShadowRoot).host, crossing: true };
    return { parent: null, crossing: false };
  };

  const infoOf = (element: Element, isControl: boolean): Ancestry => {
    if (!isControl) {
      const cached = cache.get(element);
      if (cached) return cached;
    }
    const { parent, crossing } = parentOf(element);
    const up = passedDown(parent, element, crossing);
    const exclusion = up.exclusion ?? ownExclusion(element, isControl);
    const lang = element.getAttribute('lang')?.toLowerCase().split('-')[0] || up.lang;
    const name = element.localName;
    const role = isControl ? null : element.getAttribute('role');
    const container = !isControl && (CONTAINERS.has(name) || role === 'form' || role === 'group') ? element : up.container;
    const label = name === 'label' ? element : up.label;
    const info: Ancestry =
      exclusion === up.exclusion && lang === up.lang && container === up.container && label === up.label ? up : { exclusion, lang, container, label };
    if (!isControl) cache.set(element, info);
    return info;
  };

  return (element) => infoOf(element, true);
}
