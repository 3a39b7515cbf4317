import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Emulator } from '../../emulator/src/server.ts';
import { control, startTestEmulator } from '../helpers/emulator.ts';
import { authorizeSilently, CookieJar } from '../helpers/sign-in.ts';
import { SPA_ORIGIN, SPA_REDIRECT, authorizeUrl, codeOf, redeemCode, refresh, signInForCode } from './identity-support.ts';

/**
 * Lifetimes and revocation, driven by the emulator's clock (refresh-tokens; v2-oauth2-auth-code-flow):
 * codes last about 10 minutes, Web refresh tokens 90 days of inactivity, SPA refresh tokens a fixed
 * 24 hours that rotated tokens inherit, and revoking a user's sessions kills refresh tokens and cookies.
 * The tests run in order on one emulator whose clock only moves forward.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let emulator: Emulator;

const signInSpa = (jar?: CookieJar) => signInForCode(emulator, { username: emulator.employeeUpn, redirectUri: SPA_REDIRECT, jar });
const redeemSpa = async (jar?: CookieJar) => redeemCode(emulator, await signInSpa(jar), { redirectUri: SPA_REDIRECT, secret: null, origin: SPA_ORIGIN });

beforeAll(async () => {
  emulator = await startTestEmulator({ spaRedirectUris: [SPA_REDIRECT] });
});
afterAll(() => emulator.close());

describe('token lifetimes and revocation', () => {
  it('revoking the user\'s sessions refuses refresh tokens issued before (AADSTS50173) and ends the sign-in session', async () => {
    const jar = new CookieJar();
    const web = await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn, jar }));
    expect(web.status).toBe(200);
    const user = emulator.state.registry.get(emulator.tenantId)!.directory.getByUpn(emulator.employeeUpn)!;
    await control(emulator, 'POST', `/tenants/${emulator.tenantId}/users/${user.id}/revoke`);

    const refused = await refresh(emulator, web.body.refresh_token!);
    expect(refused.body).toMatchObject({ error: 'invalid_grant', error_codes: [50173] });
    // "Admin revokes all refresh tokens for a user": session cookies are revoked too.
    expect(codeOf(await authorizeSilently(authorizeUrl(emulator, { prompt: 'none', challenge: 'x'.repeat(43) }), jar))).toBe(50058);
    // A new sign-in right after the revocation (same second) works.
    const again = await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn }));
    expect((await refresh(emulator, again.body.refresh_token!)).status).toBe(200);
  });

  it('expires authorization codes after 10 minutes (AADSTS70008)', async () => {
    const signedIn = await signInForCode(emulator, { username: emulator.employeeUpn });
    emulator.state.clock.advance(11 * 60_000);
    expect(codeOf(await redeemCode(emulator, signedIn))).toBe(70008);
  });

  it('keeps Web refresh tokens alive while used, and expires them after 90 idle days (AADSTS700082)', async () => {
    const first = await redeemCode(emulator, await signInForCode(emulator, { username: emulator.employeeUpn }));
    expect(first.body.refresh_token_expires_in).toBeUndefined();
    emulator.state.clock.advance(89 * DAY);
    const second = await refresh(emulator, first.body.refresh_token!);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.body.refresh_token);
    emulator.state.clock.advance(89 * DAY);
    // The rotated token started a new 90-day window; the first one has been idle 178 days.
    expect((await refresh(emulator, second.body.refresh_token!)).status).toBe(200);
    const expired = await refresh(emulator, first.body.refresh_token!);
    expect(expired.body).toMatchObject({ error: 'invalid_grant', error_codes: [700082] });
  });

  it('gives SPA refresh tokens a fixed 24 hours that rotated tokens inherit (AADSTS700084)', async () => {
    const first = await redeemSpa();
    expect(first.status).toBe(200);
    expect(first.body.refresh_token_expires_in).toBe(86_400);
    emulator.state.clock.advance(23 * HOUR);
    const rotated = await refresh(emulator, first.body.refresh_token!, { secret: null, origin: SPA_ORIGIN });
    expect(rotated.status).toBe(200);
    // What is left of the first token's 24 hours (real milliseconds pass between the calls).
    expect(rotated.body.refresh_token_expires_in).toBeGreaterThan(3_590);
    expect(rotated.body.refresh_token_expires_in).toBeLessThanOrEqual(3_600);
    emulator.state.clock.advance(2 * HOUR);
    const expired = await refresh(emulator, rotated.body.refresh_token!, { secret: null, origin: SPA_ORIGIN });
    expect(expired.body).toMatchObject({ error: 'invalid_grant', error_codes: [700084] });
  });

  it('lets the SPA start a new 24 hours silently with its session (prompt=none), as MSAL.js does', async () => {
    const jar = new CookieJar();
    const first = await redeemSpa(jar);
    const authTime = decodeJwt(first.body.id_token!).auth_time;
    emulator.state.clock.advance(25 * HOUR);
    expect(codeOf(await refresh(emulator, first.body.refresh_token!, { secret: null, origin: SPA_ORIGIN }))).toBe(700084);

    // No page: the session cookie answers prompt=none with a code, in the fragment as MSAL.js asks.
    const silent = await signInForCode(emulator, { username: emulator.employeeUpn, redirectUri: SPA_REDIRECT, prompt: 'none', responseMode: 'fragment', jar });
    const renewed = await redeemCode(emulator, silent, { redirectUri: SPA_REDIRECT, secret: null, origin: SPA_ORIGIN });
    expect(renewed.status).toBe(200);
    expect(renewed.body.refresh_token_expires_in).toBe(86_400);
    // Same sign-in: the ID token's auth_time is the original credential entry.
    expect(decodeJwt(renewed.body.id_token!).auth_time).toBe(authTime);
  });
});
