import '../../assets/theme.css';
import './style.css';
import { browser } from 'wxt/browser';
import { identityRedirectUri } from '../../lib/auth/identity.ts';
import { createProxyClient } from '../../lib/proxy-client.ts';
import { loadSettings, saveSettings } from '../../lib/settings.ts';
import type { OptionsDeps } from '../../lib/ui/deps.ts';
import { mountOptions } from '../../lib/ui/options-page.ts';

/** Options page wiring only (lib/ui/options-page.ts holds the behaviour). */

const deps: OptionsDeps = {
  settings: {
    get: async (key) => (await loadSettings()).values[key],
    load: async () => {
      const { values, managed } = await loadSettings();
      return { values, managed };
    },
    // saveSettings validates every value and throws SettingsError (with `key`) before writing any.
    save: async (values) => void (await saveSettings(values)),
  },
  // Setup and status need no sign-in: the admin connects the tenant before anyone can sign in.
  proxy: (baseUrl) => createProxyClient({ baseUrl, getToken: async () => null }),
  // No await before this call: it must run inside the click (lib/ui/options-page.ts).
  requestOrigins: (origins) => browser.permissions.request({ origins }),
  redirectUrl: () => identityRedirectUri(),
  openTab: (url) => void browser.tabs.create({ url }),
  copyText: (text) => navigator.clipboard.writeText(text),
  now: () => Date.now(),
};

const root = document.getElementById('app');
if (root) mountOptions(root, deps);
