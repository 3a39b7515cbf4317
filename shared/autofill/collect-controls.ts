/** A form control the classifier looks at. */
export type FormControl = HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement;

export interface CollectOptions {
  /** Look inside open shadow roots (`element.shadowRoot`; closed ones are invisible by design). Default true. */
  shadowRoots?: boolean;
  /** Look inside iframes whose document is reachable (same origin). Default true. */
  frames?: boolean;
}

export interface FoundControl {
  element: FormControl;
  /** The document or shadow root the control lives in: where its labels and ids are. */
  root: Document | ShadowRoot;
  /** Where that root is, for reports: '' for the top document, else "iframe#x", "my-widget::shadow", … */
  scope: string;
}

const CONTROL_NAMES = new Set(['input', 'select', 'textarea']);

/**
 * Every input, select and textarea under `root` in document order, whether in a form or not, with
 * the contents of open shadow roots and same-origin iframes in the place of their host element.
 */
export function collectControls(root: ParentNode, options: CollectOptions = {}): FoundControl[] {
  const found: FoundControl[] = [];
  const shadowRoots = options.shadowRoots ?? true;
  const frames = options.frames ?? true;
  let frameCount = 0;
  let shadowCount = 0;

  const visit = (element: Element, scope: string): void => {
    if (CONTROL_NAMES.has(element.localName)) {
      const owner = element.getRootNode() as Document | ShadowRoot;
      found.push({ element: element as FormControl, root: owner, scope });
    }
    if (shadowRoots && element.shadowRoot) {
      shadowCount++;
      walk(element.shadowRoot, join(scope, `${describe(element, shadowCount)}::shadow`));
    }
    if (frames && (element.localName === 'iframe' || element.localName === 'frame')) {
      frameCount++;
      let frameDocument: Document | null = null;
      try {
        // Cross-origin frames return null (or throw in some implementations): skipped, as a browser must.
        frameDocument = (element as HTMLIFrameElement).contentDocument;
      } catch {
        frameDocument = null;
      }
      if (frameDocument) walk(frameDocument, join(scope, describe(element, frameCount)));
    }
  };

  const walk = (node: ParentNode, scope: string): void => {
    for (const element of node.querySelectorAll('*')) visit(element, scope);
  };

  if ((root as Node).nodeType === 1) visit(root as Element, '');
  walk(root, '');
  return found;
}

const join = (outer: string, inner: string): string => (outer ? `${outer} > ${inner}` : inner);

/** "iframe#signup", "iframe[name=crm]", "my-form:2" (the n-th of its kind met). */
export function describe(element: Element, ordinal: number): string {
  const id = element.getAttribute('id');
  if (id) return `${element.localName}#${id}`;
  const name = element.getAttribute('name');
  if (name) return `${element.localName}[name=${name}]`;
  return `${element.localName}:${ordinal}`;
}
