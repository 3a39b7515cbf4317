/**
 * The one way the UI makes nodes: `createElement`, attributes with `setAttribute`, text with text nodes.
 * Nothing here parses markup, so a displayName of `<img src=x onerror=…>` stays a string on screen
 * (design.md: directory text is rendered as text only; eslint forbids innerHTML/outerHTML).
 */

export type Child = Node | string | null | undefined | false;
export type Attributes = Record<string, string | number | boolean | null | undefined>;

/**
 * `h(doc, 'button', { type: 'button', 'data-testid': 'x' }, 'Copy')`. Attribute values `false`, `null`
 * and `undefined` are left out, `true` sets an empty attribute. Event handler attributes (`on…`) are
 * refused: handlers are added with addEventListener, never from strings.
 */
export function h<K extends keyof HTMLElementTagNameMap>(doc: Document, tag: K, attributes: Attributes = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = doc.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (/^on/i.test(name)) throw new Error(`h(): set "${name}" with addEventListener`);
    if (value === false || value === null || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

export function append(parent: Node, children: readonly Child[]): void {
  const doc = parent.ownerDocument ?? (parent as Document);
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'string' ? doc.createTextNode(child) : child);
  }
}

/** Replaces every child of `parent` with `children`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  while (parent.firstChild) parent.removeChild(parent.firstChild);
  append(parent, children);
}
