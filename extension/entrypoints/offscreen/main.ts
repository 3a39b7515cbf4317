import { createAuthService } from '../../lib/auth/auth-service.ts';
import { identityRedirectUri } from '../../lib/auth/identity.ts';
import { onMessage, sendMessage } from '../../lib/messages.ts';

/**
 * Chrome's offscreen document: runs MSAL for the background service worker, which can't (no DOM, no
 * localStorage). It has no identity API, so launchWebAuthFlow is relayed back to the background.
 */
const auth = createAuthService({
  redirectUri: identityRedirectUri(),
  launchWebAuthFlow: async ({ url, interactive }) => (await sendMessage({ type: 'identity/launch-web-auth-flow', url, interactive })).responseUrl,
  log: (level, message) => {
    if (level !== 'info') console.warn(`MSAL ${level}: ${message}`);
  },
});

onMessage('offscreen', {
  'auth/state': ({ tenant }) => auth.state(tenant ?? undefined),
  'auth/sign-in': ({ tenant }) => auth.signIn(tenant ?? undefined),
  'auth/sign-out': ({ tenant }) => auth.signOut(tenant ?? undefined),
  'auth/token': ({ tenant, interactive, forceRefresh }) => auth.getIdToken(tenant ?? undefined, { interactive, forceRefresh }),
});
