import { Window } from 'happy-dom';

/**
 * Node edge: parses a saved page into a DOM the classifier can walk, with happy-dom. Never imported by
 * the classifier itself (index.ts), so the extension's content script doesn't bundle a DOM library.
 *
 * Nothing on the page runs or loads: no scripts (a saved page is untrusted), no stylesheets, images or
 * iframe `src` (no network); `srcdoc` iframes are parsed, as same-origin frames a browser would render.
 */
export interface LoadedPage {
  document: Document;
  /** Frees the window (timers, frames). */
  close(): Promise<void>;
}

export function loadHtml(html: string, url = 'http://saved-page.invalid/'): LoadedPage {
  const window = new Window({
    url,
    settings: {
      enableJavaScriptEvaluation: false,
      disableJavaScriptFileLoading: true,
      enableCSSFileLoading: false,
      enableImageFileLoading: false,
      enableIframePageLoading: false,
      handleDisabledFileLoadingAsSuccess: true,
      navigation: { disableMainFrameNavigation: true, disableChildFrameNavigation: true, disableChildPageNavigation: true },
    },
  });
  const document = window.document as unknown as Document;
  document.write(html);
  attachDeclarativeShadowRoots(document);
  return { document, close: () => window.happyDOM.close() };
}

/**
 * Declarative shadow DOM (`<template shadowrootmode="open">`, what Chrome's "Save page" and SingleFile
 * write for shadow roots): browsers attach it while parsing, happy-dom (like jsdom) leaves a template.
 * This does what the HTML parser does (https://html.spec.whatwg.org/#parsing-main-inhtml, "template"
 * start tag with shadowrootmode): attach a shadow root of that mode to the parent and move the
 * template's contents into it, innermost first; also inside same-origin iframes.
 */
export function attachDeclarativeShadowRoots(root: Document | ShadowRoot | DocumentFragment): void {
  for (const template of [...root.querySelectorAll('template[shadowrootmode]')].reverse()) {
    const host = template.parentElement;
    const mode = template.getAttribute('shadowrootmode');
    if (!host || host.shadowRoot || (mode !== 'open' && mode !== 'closed')) continue;
    let shadow: ShadowRoot;
    try {
      shadow = host.attachShadow({ mode, delegatesFocus: template.hasAttribute('shadowrootdelegatesfocus') });
    } catch {
      continue; // Elements that can't host a shadow root keep the template, as in a browser.
    }
    const content = (template as HTMLTemplateElement).content;
    attachDeclarativeShadowRoots(content);
    shadow.append(content);
    template.remove();
  }
  for (const frame of root.querySelectorAll('iframe')) {
    const document = frame.contentDocument;
    if (document) attachDeclarativeShadowRoots(document);
  }
}

/**
 * Bytes of a saved page to text: a byte-order mark, else the `<meta charset>` (or http-equiv
 * Content-Type) in the first 1024 bytes as the HTML spec's prescan does, else UTF-8. Older Japanese and
 * Chinese pages are often Shift_JIS or GBK; Node's full ICU decodes both.
 */
export function decodeHtml(bytes: Uint8Array): string {
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder('utf-16le').decode(bytes.subarray(2));
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder('utf-16be').decode(bytes.subarray(2));
  const head = new TextDecoder('latin1').decode(bytes.subarray(0, 1024));
  const declared = /<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)/i.exec(head)?.[1];
  if (declared) {
    try {
      return new TextDecoder(declared).decode(bytes);
    } catch {
      // An unknown label: fall back to UTF-8, like a browser would to its default.
    }
  }
  return new TextDecoder('utf-8').decode(bytes);
}
