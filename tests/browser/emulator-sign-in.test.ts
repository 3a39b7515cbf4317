import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { launchChromium, type ChromiumSession } from '../helpers/chromium.ts';
import { startTestEmulator } from '../helpers/emulator.ts';

/**
 * The emulator's sign-in in a real browser: Debian's Chromium trusts the emulator's server key through
 * --ignore-certificate-errors-spki-list, an admin signs in and consents for the organisation, and the
 * browser is redirected to the registered redirect URI with a code that redeems with the PKCE verifier.
 */
describe('sign-in in Chromium', () => {
  let emulator: Emulator;
  let browser: ChromiumSession;
  const redirectUri = 'http://localhost:8787/api/azure/callback';

  beforeAll(async () => {
    emulator = await startTestEmulator({ users: 50 });
    browser = await launchChromium({ spki: emulator.spki });
  });
  afterAll(async () => {
    await browser?.close();
    await emulator?.close();
  });

  it('signs an admin in, records organisation consent and redirects with a code that redeems', async () => {
    const verifier = randomBytes(32).toString('base64url');
    const state = randomBytes(16).toString('base64url');
    const authorize = new URL(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`);
    authorize.search = new URLSearchParams({
      client_id: emulator.clientId,
      response_type: 'code',
      redirect_uri: redirectUri,
      scope: 'openid profile offline_access https://graph.microsoft.com/User.Read.All',
      state,
      code_challenge: createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
      prompt: 'consent',
    }).toString();

    const page = await browser.context.newPage();
    let landed: URL | undefined;
    // Nothing listens on the redirect URI: the browser's request to it is answered here, as the proxy would.
    await page.route(`${redirectUri}**`, async (route) => {
      landed = new URL(route.request().url());
      await route.fulfill({ status: 200, contentType: 'text/plain', body: 'callback reached' });
    });
    await page.goto(authorize.toString());
    await page.getByLabel('Email, phone, or Skype').fill(emulator.adminUpn);
    await page.getByLabel('Password').fill(emulator.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByText('Permissions requested').waitFor();
    await page.getByLabel('Consent on behalf of your organization').check();
    await page.getByRole('button', { name: 'Accept' }).click();
    await page.getByText('callback reached').waitFor();

    expect(landed?.searchParams.get('state')).toBe(state);
    const code = landed?.searchParams.get('code');
    expect(code).toBeTruthy();
    const consent = emulator.state.registry.consent(emulator.state.registry.get(emulator.tenantId)!, emulator.clientId);
    expect(consent.adminDelegated.has('User.Read.All')).toBe(true);

    const response = await fetch(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ grant_type: 'authorization_code', client_id: emulator.clientId, client_secret: emulator.clientSecret, code: code!, redirect_uri: redirectUri, code_verifier: verifier }),
    });
    const tokens = (await response.json()) as { access_token?: string; refresh_token?: string; id_token?: string };
    expect(response.status).toBe(200);
    expect(tokens.access_token && tokens.refresh_token && tokens.id_token).toBeTruthy();
  });

  it('shows an unregistered redirect URI as an error page, never redirecting to it', async () => {
    const page = await browser.context.newPage();
    const authorize = new URL(`${emulator.url}/${emulator.tenantId}/oauth2/v2.0/authorize`);
    authorize.search = new URLSearchParams({ client_id: emulator.clientId, response_type: 'code', redirect_uri: 'https://attacker.example/steal', scope: 'openid' }).toString();
    const response = await page.goto(authorize.toString());
    expect(response?.url()).toContain(emulator.url);
    await expect(page.locator('[data-aadsts="50011"]').count()).resolves.toBeGreaterThan(0);
  });
});
