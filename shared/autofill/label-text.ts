/**
 * What a person reading the page sees as a control's label: the parts of the accessible name
 * (https://www.w3.org/TR/accname-1.2/) that carry words — aria-labelledby, aria-label, <label>
 * elements (label[for] and a wrapping label), the title attribute — and, as a last resort, the text
 * just before the control or the header of its table cell.
 *
 * Works on any root (document, shadow root, iframe document) with DOM methods only, no globals.
 */

const TEXT_NODE = 3;
const ELEMENT_NODE = 1;
/** Elements whose text is not part of a label: the control's own options, scripts, help buttons. */
const SKIPPED_IN_LABEL = new Set(['input', 'select', 'textarea', 'option', 'optgroup', 'datalist', 'script', 'style', 'template', 'button', 'noscript']);
const CONTROL_SELECTOR = 'input, select, textarea';

/** Per-root lookups built once, so labelling 500 controls does not query the tree 500 times. */
export interface LabelIndex {
  labelsFor(id: string): readonly Element[];
  byId(id: string): Element | null;
}

export function createLabelIndex(root: Document | ShadowRoot): LabelIndex {
  let labels: Map<string, Element[]> | undefined;
  return {
    labelsFor(id) {
      if (!labels) {
        labels = new Map();
        for (const label of root.querySelectorAll('label[for]')) {
          const target = label.getAttribute('for')!;
          const list = labels.get(target);
          if (list) list.push(label);
          else labels.set(target, [label]);
        }
      }
      return labels.get(id) ?? [];
    },
    byId(id) {
      // ShadowRoot has getElementById (DocumentFragment's NonElementParentNode), but be lenient with
      // DOM implementations that only put it on Document.
      if (typeof (root as Partial<Document>).getElementById === 'function') return root.getElementById(id);
      for (const el of root.querySelectorAll('[id]')) if (el.id === id) return el;
      return null;
    },
  };
}

/** Visible words of an element, leaving out nested controls (a wrapping label's own select options). */
export function textOf(node: Node): string {
  // Most labels hold text only: one read instead of a walk.
  if (node.nodeType === ELEMENT_NODE && (node as Element).firstElementChild === null) return (node.textContent ?? '').replace(/\s+/g, ' ').trim();
  const parts: string[] = [];
  const stack: Node[] = [node];
  while (stack.length > 0) {
    const current = stack.pop()!;
    if (current.nodeType === TEXT_NODE) {
      parts.push(current.nodeValue ?? '');
      continue;
    }
    if (current.nodeType === ELEMENT_NODE && current !== node && SKIPPED_IN_LABEL.has((current as Element).localName)) continue;
    const children = current.childNodes;
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i]!);
  }
  return parts.join(' ').replace(/\s+/g, ' ').trim();
}

/**
 * The label-like texts of a control, most authoritative first, joined into one string. `wrapping` is
 * the label around the control when the caller knows it already (undefined: look it up).
 */
export function labelText(control: Element, index: LabelIndex, wrapping: Element | null = control.closest('label')): string {
  const parts: string[] = [];
  const labelledBy = control.getAttribute('aria-labelledby');
  if (labelledBy) {
    for (const id of labelledBy.split(/\s+/)) {
      const target = id ? index.byId(id) : null;
      if (target) parts.push(textOf(target));
    }
  }
  const ariaLabel = control.getAttribute('aria-label');
  if (ariaLabel) parts.push(ariaLabel);
  const id = control.getAttribute('id');
  if (id) for (const label of index.labelsFor(id)) parts.push(textOf(label));
  // A wrapping label with `for` is either found above (for = this id) or labels another control.
  if (wrapping && !wrapping.hasAttribute('for')) parts.push(textOf(wrapping));
  const title = control.getAttribute('title');
  if (title) parts.push(title);
  return parts.filter(Boolean).join(' | ');
}

const MAX_NEARBY = 60;

/**
 * Text near a control that has no label: the header of its table cell (row header, or the column
 * header in the first row), or the closest text before it inside its parent and up to two ancestors
 * that hold no other control (`<div>Email</div><div><input></div>`, `<dt>Email</dt><dd><input></dd>`).
 */
export function nearbyText(control: Element): string {
  const cell = control.closest('td, th');
  if (cell && cell.querySelectorAll(CONTROL_SELECTOR).length === 1) {
    const header = tableHeader(cell);
    if (header) return header;
  }
  let node: Element = control;
  for (let depth = 0; depth < 3; depth++) {
    const text = textBefore(node);
    if (text === null) return '';
    if (text) return text;
    const parent = node.parentElement;
    if (!parent || parent.localName === 'form' || parent.querySelectorAll(CONTROL_SELECTOR).length > 1) return '';
    node = parent;
  }
  return '';
}

/** The nearest non-empty text before `node` among its siblings; `null` when another control comes first. */
function textBefore(node: Element): string | null {
  for (let sibling = node.previousSibling; sibling; sibling = sibling.previousSibling) {
    if (sibling.nodeType === TEXT_NODE) {
      const text = (sibling.nodeValue ?? '').trim();
      if (text) return text.slice(-MAX_NEARBY);
      continue;
    }
    if (sibling.nodeType !== ELEMENT_NODE) continue;
    const element = sibling as Element;
    if (element.matches(CONTROL_SELECTOR) || element.querySelector(CONTROL_SELECTOR)) return null;
    // A label of another control belongs to that control.
    if (element.localName === 'label' && element.hasAttribute('for')) return null;
    const text = textOf(element);
    if (text) return text.slice(-MAX_NEARBY);
  }
  return '';
}

function tableHeader(cell: Element): string {
  for (let before = cell.previousElementSibling; before; before = before.previousElementSibling) {
    if (before.querySelector(CONTROL_SELECTOR)) break;
    const text = textOf(before);
    if (text) return text.slice(-MAX_NEARBY);
  }
  const row = cell.parentElement;
  const table = cell.closest('table');
  if (!row || !table) return '';
  const column = Array.prototype.indexOf.call(row.children, cell) as number;
  const firstRow = table.querySelector('tr');
  if (!firstRow || firstRow === row) return '';
  const header = firstRow.children[column];
  return header && header.localName === 'th' ? textOf(header).slice(0, MAX_NEARBY) : '';
}
