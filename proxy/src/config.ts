import { isIP } from 'node:net';
import { parseSecretKey } from './crypto.ts';
import { DatabaseUrlError, parseDatabaseUrl, redactDatabaseUrl, type DatabaseTarget } from './store/database-url.ts';

/**
 * The proxy's configuration, read from the environment (../shared/design.md, "Contracts") with CLI flags
 * as overrides. Validated once, at start: every problem is collected and reported together, each naming
 * the variable and what it expects, so an operator fixes the whole file in one pass. Values of secret
 * variables never appear in a message.
 *
 * An empty variable counts as unset: `FOO=` in a compose file or `.env` means "use the default".
 */

export type CloudName = 'global' | 'usgov' | 'china' | 'custom';
export type GraphAuth = 'delegated' | 'application';
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * Sign-in and Graph endpoints of each Microsoft cloud (https://learn.microsoft.com/graph/deployments).
 * US Government L5 (DoD) uses Graph at https://dod-graph.microsoft.us: configure it as `custom`.
 */
export const CLOUDS: Readonly<Record<Exclude<CloudName, 'custom'>, { authorityHost: string; graphUrl: string }>> = {
  global: { authorityHost: 'https://login.microsoftonline.com', graphUrl: 'https://graph.microsoft.com/v1.0' },
  usgov: { authorityHost: 'https://login.microsoftonline.us', graphUrl: 'https://graph.microsoft.us/v1.0' },
  china: { authorityHost: 'https://login.chinacloudapi.cn', graphUrl: 'https://microsoftgraph.chinacloudapi.cn/v1.0' },
};

/** A tenant configured from the environment (single-tenant, self-hosted). */
export interface EnvTenant {
  /** Tenant GUID (lower case) or a verified domain, which the proxy resolves to the GUID at start. */
  tenant: string;
  clientId: string;
  clientSecret: string;
  /** `application`: client credentials, active from the environment alone (needs the User.Read.All
   * application permission granted). `delegated`: waits for an admin to authorize from the options page. */
  graphAuth: GraphAuth;
}

export interface ProxyConfig {
  port: number;
  host: string;
  databaseUrl: string;
  database: DatabaseTarget;
  /** PEOPLEBOOK_SECRET_KEY as given (checked to be 32 bytes); pass to `loadOrCreateKey`. */
  secretKey: string | undefined;
  keyFile: string;
  cloud: CloudName;
  /** Origin of the identity platform, no trailing slash: the authority is `${authorityHost}/${tenant}`. */
  authorityHost: string;
  /** Graph base URL with its version, no trailing slash: requests go to `${graphUrl}/users/delta`. */
  graphUrl: string;
  envTenant: EnvTenant | undefined;
  /** The proxy's external base URL, no trailing slash. */
  publicUrl: string;
  /** `${publicUrl}/api/azure/callback`: the Web redirect URI the admin registers. */
  callbackUrl: string;
  /** Extension origins allowed by CORS (`chrome-extension://<id>`, `moz-extension://<uuid>`). */
  allowedOrigins: string[];
  syncIntervalMs: number;
  includeGuests: boolean;
  includeDisabled: boolean;
  /** Days a deletion stays in the changes feed; an extension offline longer starts over. */
  historyDays: number;
  /** Requests a minute one signed-in user may make to the authenticated API. */
  rateLimitPerMinute: number;
  logLevel: LogLevel;
}

export type ConfigVariableName =
  | 'PORT'
  | 'HOST'
  | 'DATABASE_URL'
  | 'PEOPLEBOOK_SECRET_KEY'
  | 'PEOPLEBOOK_KEY_FILE'
  | 'PEOPLEBOOK_CLOUD'
  | 'PEOPLEBOOK_AUTHORITY_HOST'
  | 'PEOPLEBOOK_GRAPH_URL'
  | 'PEOPLEBOOK_TENANT_ID'
  | 'PEOPLEBOOK_CLIENT_ID'
  | 'PEOPLEBOOK_CLIENT_SECRET'
  | 'PEOPLEBOOK_GRAPH_AUTH'
  | 'PEOPLEBOOK_PUBLIC_URL'
  | 'PEOPLEBOOK_ALLOWED_ORIGINS'
  | 'PEOPLEBOOK_SYNC_INTERVAL'
  | 'PEOPLEBOOK_INCLUDE_GUESTS'
  | 'PEOPLEBOOK_INCLUDE_DISABLED'
  | 'PEOPLEBOOK_HISTORY_DAYS'
  | 'PEOPLEBOOK_RATE_LIMIT'
  | 'LOG_LEVEL';

export interface ConfigVariable {
  name: ConfigVariableName;
  /** Shown as is in `--help`; `undefined` when there is none. */
  default: string | undefined;
  description: string;
  /** Never printed, never echoed in an error. */
  secret?: true;
}

/** Every variable the proxy reads, for README and `--help`. */
export const CONFIG_VARIABLES: readonly ConfigVariable[] = [
  { name: 'PORT', default: '8787', description: 'TCP port the proxy listens on (1–65535).' },
  {
    name: 'HOST',
    default: '127.0.0.1',
    description: 'Interface to listen on. Loopback by default so a fresh install is not exposed; use 0.0.0.0 (or ::) in a container or behind a reverse proxy.',
  },
  {
    name: 'DATABASE_URL',
    default: 'file:./data/peoplebook.db',
    description: 'Where the mirror lives: file:<path> for SQLite (folders are created), or postgres://user:password@host:5432/db for PostgreSQL.',
  },
  {
    name: 'PEOPLEBOOK_SECRET_KEY',
    default: undefined,
    description: 'Key that encrypts client secrets and refresh tokens at rest: 32 bytes as base64 or hex (`openssl rand -base64 32`). Unset: a key file is created and reused.',
    secret: true,
  },
  { name: 'PEOPLEBOOK_KEY_FILE', default: './data/secret.key', description: 'Key file used when PEOPLEBOOK_SECRET_KEY is unset; created with mode 0600, refused if others can read it.' },
  { name: 'PEOPLEBOOK_CLOUD', default: 'global', description: 'Microsoft cloud: global, usgov, china, or custom (then set the two URLs below).' },
  { name: 'PEOPLEBOOK_AUTHORITY_HOST', default: undefined, description: 'custom cloud only: https URL of the identity platform (stands in for https://login.microsoftonline.com).' },
  { name: 'PEOPLEBOOK_GRAPH_URL', default: undefined, description: 'custom cloud only: https URL of Microsoft Graph with its version (stands in for https://graph.microsoft.com/v1.0; a bare host gets /v1.0).' },
  { name: 'PEOPLEBOOK_TENANT_ID', default: undefined, description: 'Tenant configured from the environment: its GUID or a verified domain. Needs PEOPLEBOOK_CLIENT_ID and PEOPLEBOOK_CLIENT_SECRET too.' },
  { name: 'PEOPLEBOOK_CLIENT_ID', default: undefined, description: "Application (client) ID of the environment tenant's app registration (GUID)." },
  { name: 'PEOPLEBOOK_CLIENT_SECRET', default: undefined, description: "Client secret value of the environment tenant's app registration.", secret: true },
  {
    name: 'PEOPLEBOOK_GRAPH_AUTH',
    default: 'application',
    description: 'How the environment tenant reads Graph: application (client credentials; needs the User.Read.All application permission) or delegated (an admin authorizes once from the options page).',
  },
  { name: 'PEOPLEBOOK_PUBLIC_URL', default: 'http://localhost:<PORT>', description: 'External base URL of the proxy; the redirect URI to register is <PUBLIC_URL>/api/azure/callback. https, or http on localhost only.' },
  { name: 'PEOPLEBOOK_ALLOWED_ORIGINS', default: '', description: 'Comma-separated extension origins allowed by CORS: chrome-extension://<32-letter id>, moz-extension://<uuid>.' },
  { name: 'PEOPLEBOOK_SYNC_INTERVAL', default: '15m', description: 'Time between directory syncs: seconds (900) or a duration (30s, 15m, 1h, 1h30m); from 1m to 24h.' },
  { name: 'PEOPLEBOOK_INCLUDE_GUESTS', default: 'false', description: 'Mirror guest users (userType Guest): true or false.' },
  { name: 'PEOPLEBOOK_INCLUDE_DISABLED', default: 'false', description: 'Mirror disabled accounts: true or false.' },
  { name: 'PEOPLEBOOK_HISTORY_DAYS', default: '30', description: 'Days deletions stay in the changes feed (1–3650); an extension offline longer downloads the directory again.' },
  { name: 'PEOPLEBOOK_RATE_LIMIT', default: '600', description: 'Requests a minute each signed-in user may make to the API (1–1000000); more get 429 with Retry-After.' },
  { name: 'LOG_LEVEL', default: 'info', description: 'fatal, error, warn, info, debug, trace or silent.' },
];

export interface ConfigProblem {
  variable: ConfigVariableName;
  /** What is wrong, starting with the variable's name. */
  message: string;
}

/** Bad configuration: stops the proxy before it listens. `problems` lists each variable at fault. */
export class ConfigError extends Error {
  readonly code = 'CONFIG_INVALID';
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly ConfigProblem[]) {
    super(
      problems.length === 1
        ? `Invalid configuration: ${problems[0]!.message}`
        : `Invalid configuration (${problems.length} problems):\n${problems.map((p) => `  - ${p.message}`).join('\n')}`,
    );
  }
}

export type ConfigSource = Readonly<Record<string, string | undefined>>;

const CLOUD_NAMES: readonly CloudName[] = ['global', 'usgov', 'china', 'custom'];
const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// A DNS name with at least one dot, as verified domains are (contoso.onmicrosoft.com, contoso.com).
const DOMAIN = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;
const HOSTNAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
// Chrome/Edge extension ids are 32 letters a–p (a hex SHA-256 prefix mapped to a–p); Firefox's
// moz-extension host is a per-installation UUID (https://developer.mozilla.org/docs/Mozilla/Add-ons/WebExtensions/manifest.json/browser_specific_settings).
const CHROME_ORIGIN = /^chrome-extension:\/\/[a-p]{32}$/;
const FIREFOX_ORIGIN = /^moz-extension:\/\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MIN_SYNC_MS = 60_000;
const MAX_SYNC_MS = 24 * 3_600_000;

/**
 * Reads and validates the configuration. `overrides` (CLI flags, tests) win over `env`; pass
 * `process.env` in production. Throws {@link ConfigError} listing every problem.
 */
export function loadConfig(env: ConfigSource, overrides: Partial<Record<ConfigVariableName, string | undefined>> = {}): ProxyConfig {
  const problems: ConfigProblem[] = [];
  const read = (name: ConfigVariableName): string | undefined => {
    const value = overrides[name] ?? env[name];
    const trimmed = value?.trim();
    return trimmed === undefined || trimmed === '' ? undefined : trimmed;
  };
  const fail = (variable: ConfigVariableName, expectation: string, got?: string): undefined => {
    problems.push({ variable, message: `${variable} must be ${expectation}${got === undefined ? '' : `, got "${got}"`}` });
    return undefined;
  };

  // PORT
  const portText = read('PORT') ?? '8787';
  const port = /^\d+$/.test(portText) && Number(portText) >= 1 && Number(portText) <= 65535 ? Number(portText) : fail('PORT', 'a whole number from 1 to 65535', portText);

  // HOST
  const host = read('HOST') ?? '127.0.0.1';
  if (!isIP(host) && !HOSTNAME.test(host)) fail('HOST', 'an IP address (127.0.0.1, 0.0.0.0, ::) or a host name', host);

  // DATABASE_URL
  const databaseUrl = read('DATABASE_URL') ?? 'file:./data/peoplebook.db';
  let database: DatabaseTarget | undefined;
  try {
    database = parseDatabaseUrl(databaseUrl);
  } catch (error) {
    if (!(error instanceof DatabaseUrlError)) throw error;
    problems.push({ variable: 'DATABASE_URL', message: `DATABASE_URL must be ${error.message}` });
  }

  // PEOPLEBOOK_SECRET_KEY: checked here so a bad key is reported with the rest; never echoed.
  const secretKey = read('PEOPLEBOOK_SECRET_KEY');
  if (secretKey !== undefined) {
    try {
      parseSecretKey(secretKey);
    } catch (error) {
      problems.push({ variable: 'PEOPLEBOOK_SECRET_KEY', message: (error as Error).message });
    }
  }
  const keyFile = read('PEOPLEBOOK_KEY_FILE') ?? './data/secret.key';

  // Cloud and its endpoints.
  const cloudText = (read('PEOPLEBOOK_CLOUD') ?? 'global').toLowerCase();
  const cloud = (CLOUD_NAMES as readonly string[]).includes(cloudText) ? (cloudText as CloudName) : fail('PEOPLEBOOK_CLOUD', 'one of global, usgov, china, custom', cloudText);
  const authorityText = read('PEOPLEBOOK_AUTHORITY_HOST');
  const graphText = read('PEOPLEBOOK_GRAPH_URL');
  let authorityHost: string | undefined;
  let graphUrl: string | undefined;
  if (cloud === 'custom') {
    if (authorityText === undefined) fail('PEOPLEBOOK_AUTHORITY_HOST', 'set when PEOPLEBOOK_CLOUD=custom: the https URL of the identity platform');
    else authorityHost = httpsUrl(authorityText) ?? fail('PEOPLEBOOK_AUTHORITY_HOST', 'an https:// URL with no query or fragment (MSAL refuses other authorities)', authorityText);
    if (graphText === undefined) fail('PEOPLEBOOK_GRAPH_URL', 'set when PEOPLEBOOK_CLOUD=custom: the https URL of Microsoft Graph, e.g. https://graph.example/v1.0');
    else {
      const base = httpsUrl(graphText);
      // The Graph client sends the token only to https hosts, so an http Graph would get no Authorization.
      graphUrl = base === undefined ? fail('PEOPLEBOOK_GRAPH_URL', 'an https:// URL with no query or fragment', graphText) : new URL(base).pathname === '/' ? `${base}/v1.0` : base;
    }
  } else if (cloud !== undefined) {
    for (const [name, value] of [
      ['PEOPLEBOOK_AUTHORITY_HOST', authorityText],
      ['PEOPLEBOOK_GRAPH_URL', graphText],
    ] as const) {
      if (value !== undefined) problems.push({ variable: name, message: `${name} is only used with PEOPLEBOOK_CLOUD=custom (the ${cloud} cloud's endpoints are built in): unset it, or set PEOPLEBOOK_CLOUD=custom` });
    }
    ({ authorityHost, graphUrl } = CLOUDS[cloud]);
  }

  // Tenant from the environment: all three or none.
  const tenantText = read('PEOPLEBOOK_TENANT_ID');
  const clientIdText = read('PEOPLEBOOK_CLIENT_ID');
  const clientSecret = read('PEOPLEBOOK_CLIENT_SECRET');
  const graphAuthText = read('PEOPLEBOOK_GRAPH_AUTH');
  let envTenant: EnvTenant | undefined;
  const anyTenantVar = tenantText !== undefined || clientIdText !== undefined || clientSecret !== undefined;
  if (anyTenantVar) {
    const missing = (
      [
        ['PEOPLEBOOK_TENANT_ID', tenantText],
        ['PEOPLEBOOK_CLIENT_ID', clientIdText],
        ['PEOPLEBOOK_CLIENT_SECRET', clientSecret],
      ] as const
    ).filter(([, value]) => value === undefined);
    for (const [name] of missing) {
      problems.push({ variable: name, message: `${name} must be set too: a tenant from the environment needs PEOPLEBOOK_TENANT_ID, PEOPLEBOOK_CLIENT_ID and PEOPLEBOOK_CLIENT_SECRET` });
    }
    const tenant = tenantText === undefined ? undefined : GUID.test(tenantText) || DOMAIN.test(tenantText) ? tenantText.toLowerCase() : fail('PEOPLEBOOK_TENANT_ID', 'the tenant ID (a GUID) or a verified domain such as contoso.onmicrosoft.com', tenantText);
    const clientId = clientIdText === undefined ? undefined : GUID.test(clientIdText) ? clientIdText.toLowerCase() : fail('PEOPLEBOOK_CLIENT_ID', "the app registration's Application (client) ID, a GUID", clientIdText);
    const graphAuth = parseGraphAuth(graphAuthText ?? 'application');
    if (graphAuth === undefined) fail('PEOPLEBOOK_GRAPH_AUTH', 'delegated or application', graphAuthText);
    if (tenant !== undefined && clientId !== undefined && clientSecret !== undefined && graphAuth !== undefined) {
      envTenant = { tenant, clientId, clientSecret, graphAuth };
    }
  } else if (graphAuthText !== undefined) {
    problems.push({
      variable: 'PEOPLEBOOK_GRAPH_AUTH',
      message: 'PEOPLEBOOK_GRAPH_AUTH applies only to a tenant configured from the environment: set PEOPLEBOOK_TENANT_ID, PEOPLEBOOK_CLIENT_ID and PEOPLEBOOK_CLIENT_SECRET, or unset it',
    });
  }

  // Public URL → callback. Entra accepts http redirect URIs only for localhost
  // (https://learn.microsoft.com/entra/identity-platform/reply-url#localhost-exceptions).
  const publicText = read('PEOPLEBOOK_PUBLIC_URL');
  let publicUrl: string | undefined;
  if (publicText === undefined) publicUrl = port === undefined ? undefined : `http://localhost:${port}`;
  else {
    publicUrl = publicBaseUrl(publicText) ?? fail('PEOPLEBOOK_PUBLIC_URL', 'an https:// URL (http:// only for localhost) with no query or fragment, e.g. https://peoplebook.contoso.com', publicText);
  }

  // Allowed extension origins.
  const allowedOrigins: string[] = [];
  for (const item of (read('PEOPLEBOOK_ALLOWED_ORIGINS') ?? '').split(',')) {
    const origin = item.trim().replace(/\/$/, '');
    if (origin === '') continue;
    const normal = origin.startsWith('moz-extension://') ? origin.toLowerCase() : origin;
    if (CHROME_ORIGIN.test(normal) || FIREFOX_ORIGIN.test(normal)) {
      if (!allowedOrigins.includes(normal)) allowedOrigins.push(normal);
    } else {
      fail('PEOPLEBOOK_ALLOWED_ORIGINS', 'a comma-separated list of chrome-extension://<32 letters a-p> or moz-extension://<uuid> origins', origin);
    }
  }

  const syncText = read('PEOPLEBOOK_SYNC_INTERVAL') ?? '15m';
  const syncMs = parseDuration(syncText);
  const syncIntervalMs =
    syncMs !== undefined && syncMs >= MIN_SYNC_MS && syncMs <= MAX_SYNC_MS
      ? syncMs
      : // Directory delta tokens expire after 7 days (https://learn.microsoft.com/graph/delta-query-overview):
        // a day keeps every round incremental.
        fail('PEOPLEBOOK_SYNC_INTERVAL', 'seconds (900) or a duration such as 30s, 15m, 1h, from 1m to 24h', syncText);

  const includeGuests = parseBoolean(read('PEOPLEBOOK_INCLUDE_GUESTS') ?? 'false') ?? fail('PEOPLEBOOK_INCLUDE_GUESTS', 'true or false', read('PEOPLEBOOK_INCLUDE_GUESTS'));
  const includeDisabled = parseBoolean(read('PEOPLEBOOK_INCLUDE_DISABLED') ?? 'false') ?? fail('PEOPLEBOOK_INCLUDE_DISABLED', 'true or false', read('PEOPLEBOOK_INCLUDE_DISABLED'));

  const rateText = read('PEOPLEBOOK_RATE_LIMIT') ?? '600';
  const rateLimitPerMinute = /^\d+$/.test(rateText) && Number(rateText) >= 1 && Number(rateText) <= 1_000_000 ? Number(rateText) : fail('PEOPLEBOOK_RATE_LIMIT', 'a whole number of requests a minute from 1 to 1000000', rateText);
  const historyText = read('PEOPLEBOOK_HISTORY_DAYS') ?? '30';
  const historyDays = /^\d+$/.test(historyText) && Number(historyText) >= 1 && Number(historyText) <= 3650 ? Number(historyText) : fail('PEOPLEBOOK_HISTORY_DAYS', 'a whole number of days from 1 to 3650', historyText);

  const levelText = (read('LOG_LEVEL') ?? 'info').toLowerCase();
  const logLevel = (LOG_LEVELS as readonly string[]).includes(levelText) ? (levelText as LogLevel) : fail('LOG_LEVEL', `one of ${LOG_LEVELS.join(', ')}`, levelText);

  if (problems.length > 0) throw new ConfigError(problems);
  // Every `undefined` below was reported as a problem, so reaching here means all are set.
  return {
    port: port!,
    host,
    databaseUrl,
    database: database!,
    secretKey,
    keyFile,
    cloud: cloud!,
    authorityHost: authorityHost!,
    graphUrl: graphUrl!,
    envTenant,
    publicUrl: publicUrl!,
    callbackUrl: `${publicUrl!}/api/azure/callback`,
    allowedOrigins,
    syncIntervalMs: syncIntervalMs!,
    includeGuests: includeGuests!,
    includeDisabled: includeDisabled!,
    historyDays: historyDays!,
    rateLimitPerMinute: rateLimitPerMinute!,
    logLevel: logLevel!,
  };
}

/** The configuration with secrets masked, for the start-up log and `doctor`. */
export function describeConfig(config: ProxyConfig): Record<string, unknown> {
  return {
    ...config,
    databaseUrl: redactDatabaseUrl(config.databaseUrl),
    database: config.database.kind === 'postgres' ? { kind: 'postgres', url: redactDatabaseUrl(config.database.url) } : config.database,
    secretKey: config.secretKey === undefined ? undefined : '[set]',
    envTenant: config.envTenant && { ...config.envTenant, clientSecret: '[set]' },
  };
}

function parseGraphAuth(text: string): GraphAuth | undefined {
  const value = text.toLowerCase();
  return value === 'delegated' || value === 'application' ? value : undefined;
}

function parseBoolean(text: string): boolean | undefined {
  const value = text.toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(value)) return true;
  if (['false', '0', 'no', 'off'].includes(value)) return false;
  return undefined;
}

/** `900` (seconds), `30s`, `15m`, `1h`, `1h30m` → milliseconds. */
export function parseDuration(text: string): number | undefined {
  const value = text.trim().toLowerCase();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  if (!/^(\d+[hms])+$/.test(value)) return undefined;
  const unit = { h: 3_600_000, m: 60_000, s: 1000 } as const;
  let total = 0;
  for (const [, amount, u] of value.matchAll(/(\d+)([hms])/g)) total += Number(amount) * unit[u as keyof typeof unit];
  return total;
}

function httpsUrl(text: string): string | undefined {
  const url = tryUrl(text);
  if (!url || url.protocol !== 'https:' || url.search || url.hash || url.username || url.password) return undefined;
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function publicBaseUrl(text: string): string | undefined {
  const url = tryUrl(text);
  if (!url || url.search || url.hash || url.username || url.password) return undefined;
  const loopback = url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) return undefined;
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

function tryUrl(text: string): URL | undefined {
  try {
    return new URL(text);
  } catch {
    return undefined;
  }
}
