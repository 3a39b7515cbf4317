import { createHash } from 'node:crypto';
import { defineConfig, type ConfigEnv, type UserManifest } from 'wxt';

/**
 * Public half of the RSA key that pins the Chrome extension ID of unpacked builds (base64 DER
 * SubjectPublicKeyInfo, the manifest's `key`). Chrome derives the ID from it, so the SPA redirect URI
 * `https://<id>.chromiumapp.org/` that the admin registers stays the same on every machine and build.
 * The private half was never kept: nothing is signed with it (unpacked loading needs only the public
 * key; the Chrome Web Store assigns its own ID, see `store` mode below).
 */
export const EXTENSION_PUBLIC_KEY =
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAqbCXQc2DeyZwQyFsSKC/tUKNUltRK+HzGTNC045S5GBbDbuZPOzNBgKlLLjS8R9tH9hqnXajroa0ZfmlsRcu5cdXvz6LTxeC5BzWsTd53uAbNh0b6Dj2MGAOUJPvEKzK4vVy+xDS03c3b0qShoYwQOOBGJ58Cx2mAe8TZaiTRA710LVQlYiq0oQsM3fleQ7jw+OGnUMbG4h5NtbFLZH3FJuwZFUlvHkEpTzYAO7863FAlgI3uP/SsKIlg+ZpbBeJTz0OnvqWB9CoYweQewp3UYGJ8ETCV9GbJA8k96oWKswLrA1EYxfUDMwdBFijen8YNzbbP1DlVJazJ3evcb/FFQIDAQAB';

/** Chrome's ID for a key: the first 128 bits of SHA-256(DER key) in hex, each digit 0–f written a–p. */
export function extensionIdOf(publicKeyBase64: string): string {
  const hex = createHash('sha256').update(Buffer.from(publicKeyBase64, 'base64')).digest('hex').slice(0, 32);
  return [...hex].map((digit) => String.fromCharCode(97 + Number.parseInt(digit, 16))).join('');
}

/** enjganhiikhcohbgfkpldncaimpaging: the SPA redirect URI is https://enjganhiikhcohbgfkpldncaimpaging.chromiumapp.org/ */
export const EXTENSION_ID = extensionIdOf(EXTENSION_PUBLIC_KEY);

/** Firefox add-on ID (policies.json names it; identity.getRedirectURL() is derived from it). */
export const GECKO_ID = 'peoplebook@peoplebook.app';

/**
 * Permissions, each needed:
 * - identity: launchWebAuthFlow and getRedirectURL, the Microsoft sign-in.
 * - storage: settings (storage.local), the policy values (storage.managed).
 * - alarms: the periodic directory sync (default every 15 minutes).
 * - offscreen (Chrome only): a document to run MSAL.js, which a service worker can't host.
 * - activeTab: the popup's "Fill into this page", the context menu and the keyboard command are user
 *   gestures that let the extension into that one tab's site, once, to inject the autofill script;
 *   without it filling a form would need access to every site.
 * - scripting: injecting that script (scripting.executeScript) and, for inline mode, registering it on
 *   the sites the user granted (scripting.registerContentScripts).
 * - contextMenus: "Fill with colleague…" and "Undo fill" on form fields (Firefox reads it as `menus`).
 *
 * The `fill-colleague` command (Alt+Shift+F, changeable in the browser's shortcut settings) opens the
 * picker in the page like the popup's button does.
 *
 * No host permission at install. The proxy is each organization's own server, so its origin is only
 * known when the admin (or policy) sets it: the options page then asks for the proxy's origin and the
 * authority host's (settings.ts originsFor) through optional_host_permissions, below. The identity
 * platform would work without (its endpoints answer single-page apps' CORS requests); asking keeps a
 * custom cloud working if it does not.
 */
// optional_host_permissions: the HTTPS wildcard is what lets the options page ask for any HTTPS proxy
// or authority the admin enters; it grants nothing by itself. localhost and 127.0.0.1 (any port) cover
// the demo's and the tests' local proxy over http.
const manifest = ({ browser, mode }: ConfigEnv): UserManifest => {
  const firefox = browser === 'firefox';
  return {
    name: 'Peoplebook',
    description: 'Find any colleague in your company directory, even offline.',
    permissions: ['identity', 'storage', 'alarms', ...(firefox ? [] : ['offscreen']), 'activeTab', 'scripting', 'contextMenus'],
    commands: {
      'fill-colleague': { suggested_key: { default: 'Alt+Shift+F' }, description: 'Fill a colleague into the form on this page' },
    },
    optional_host_permissions: ['https://*/*', 'http://localhost/*', 'http://127.0.0.1/*'],
    omnibox: { keyword: 'pb' },
    ...(firefox
      ? {
          browser_specific_settings: {
            gecko: {
              id: GECKO_ID,
              // optional_host_permissions and MV3 event pages with ES2022 bundles; data_collection_permissions needs 140.
              strict_min_version: '140.0',
              // The ID token (authentication, and it names the user) goes to the organization's own proxy.
              data_collection_permissions: { required: ['authenticationInfo', 'personallyIdentifyingInfo'] },
            },
            // Firefox for Android reads data_collection_permissions from 142 on.
            gecko_android: { strict_min_version: '142.0' },
          },
        }
      : {
          // Chrome/Edge enterprise policy (3rdparty.extensions.<id>) is validated against this schema.
          // Firefox reads policies.json without a schema and rejects the key.
          storage: { managed_schema: 'managed_schema.json' },
          // Pins the extension ID of unpacked builds; `--mode store` leaves it out for the Web Store.
          ...(mode === 'store' ? {} : { key: EXTENSION_PUBLIC_KEY }),
        }),
  };
};

// The extension lives in extension/ (entrypoints/ only wires; logic lives in modules beside it).
export default defineConfig({
  srcDir: 'extension',
  // Icons and managed_schema.json live beside the code (WXT's default is <root>/public).
  publicDir: 'extension/public',
  outDir: '.output',
  // Manifest V3 for Firefox too (WXT builds MV2 for Firefox unless told otherwise).
  manifestVersion: 3,
  manifest,
  hooks: {
    // Firefox takes policy from policies.json without a schema: ship the schema to Chrome/Edge only.
    'build:publicAssets': (wxt, files) => {
      if (wxt.config.browser !== 'firefox') return;
      const schema = files.findIndex((file) => file.relativeDest === 'managed_schema.json');
      if (schema !== -1) files.splice(schema, 1);
    },
  },
});
