import { html } from 'hono/html';
import type { OnboardingOutcome } from '../tenants/tenant-service.ts';

/**
 * The page Microsoft's redirect lands on. Every value is escaped by hono/html's template (no string is
 * ever parsed as HTML), and the page carries a strict CSP with no script at all.
 */
export function callbackPage(outcome: OnboardingOutcome) {
  const title = outcome.ok ? 'Peoplebook is connected' : 'Peoplebook could not be connected';
  return html`<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <style>
      :root { color-scheme: light dark; font-family: system-ui, sans-serif; }
      body { max-width: 40rem; margin: 3rem auto; padding: 0 1rem; line-height: 1.5; }
      .ok { color: #0a7a2f; } .fail { color: #b3261e; }
      code { background: rgba(127,127,127,.15); padding: .1rem .3rem; border-radius: .2rem; }
      dt { font-weight: 600; margin-top: .75rem; }
    </style>
  </head>
  <body>
    ${outcome.ok
      ? html`<h1 class="ok">${title}</h1>
          <p>Tenant <code>${outcome.tenantId}</code> is active${outcome.adminUpn ? html`, authorized by ${outcome.adminUpn}` : ''}
            (${outcome.graphAuth === 'application' ? 'application permission' : 'delegated permission'}).</p>
          <p>The first directory sync has started. You can close this tab and follow its progress on the Peoplebook options page.</p>
          <dl><dt>Permissions granted</dt><dd>${outcome.grantedScopes.join(', ')}</dd></dl>`
      : html`<h1 class="fail">${title}</h1>
          <dl>
            <dt>What happened</dt><dd>${outcome.title} (<code>${outcome.code}</code>)</dd>
            <dt>How to fix it</dt><dd>${outcome.fix}</dd>
            <dt>Details</dt><dd><code>${outcome.detail}</code></dd>
          </dl>
          <p>After fixing it, go back to the Peoplebook options page and choose <strong>Save and Authorize</strong> again.</p>`}
  </body>
</html>`;
}
