import { browser } from 'wxt/browser';
import { defineContentScript } from 'wxt/utils/define-content-script';
import { startAutofill, type RuntimeLike } from '../lib/autofill/content.ts';

/**
 * The autofill content script (issue 5; logic in ../lib/autofill/). Not in the manifest: with
 * `registration: 'runtime'` WXT builds it to `content-scripts/autofill.js` and leaves injecting it to us.
 * The background injects it on demand, under `activeTab`, and then asks it to open the picker:
 *
 *   await browser.scripting.executeScript({ target: { tabId, frameIds: [frameId] }, files: ['/content-scripts/autofill.js'] });
 *   await browser.tabs.sendMessage(tabId, { type: 'autofill/open' }, { frameId });
 *
 * and, for inline mode on the sites the user granted (optional host permissions), registers it with
 * `scripting.registerContentScripts([{ id: 'peoplebook-autofill', js: ['content-scripts/autofill.js'],
 * matches: grantedOrigins, allFrames: true, runAt: 'document_idle' }])`, answering `autofill/config`
 * with `{ inline: true }` there and on the sites policy lists (lib/autofill/triggers.ts). No `matches`
 * here: WXT would add them to `host_permissions`.
 *
 * Injecting again replaces the running copy: WXT's context tells the old one to stop (its listeners were
 * registered through `ctx`, its picker closes).
 */
export default defineContentScript({
  registration: 'runtime',
  // The page needs no "content script started" postMessage (it would see the script's name).
  noScriptStartedPostMessage: true,
  main(ctx) {
    startAutofill({ document, runtime: browser.runtime as unknown as RuntimeLike, ctx });
  },
});
