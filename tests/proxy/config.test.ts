import { describe, expect, it } from 'vitest';
import { CLOUDS, CONFIG_VARIABLES, ConfigError, describeConfig, loadConfig, parseDuration, type ConfigSource } from '../../proxy/src/config.ts';

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47';
const CLIENT = '11111111-2222-3333-4444-555555555555';
const CHROME = 'chrome-extension://abcdefghijklmnopabcdefghijklmnop';
const FIREFOX = 'moz-extension://0f6b8a4e-3c1d-4e8f-9a2b-7c5d6e4f3a21';

function problems(env: ConfigSource): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('applies the documented defaults to an empty environment', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 8787,
      host: '127.0.0.1',
      databaseUrl: 'file:./data/peoplebook.db',
      database: { kind: 'sqlite', path: './data/peoplebook.db' },
      secretKey: undefined,
      keyFile: './data/secret.key',
      cloud: 'global',
      authorityHost: 'https://login.microsoftonline.com',
      graphUrl: 'https://graph.microsoft.com/v1.0',
      envTenant: undefined,
      publicUrl: 'http://localhost:8787',
      callbackUrl: 'http://localhost:8787/api/azure/callback',
      allowedOrigins: [],
      syncIntervalMs: 15 * 60_000,
      includeGuests: false,
      includeDisabled: false,
      historyDays: 30,
      rateLimitPerMinute: 600,
      logLevel: 'info',
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ PORT: '', LOG_LEVEL: '  ', PEOPLEBOOK_CLOUD: '' })).toMatchObject({ port: 8787, logLevel: 'info', cloud: 'global' });
  });

  it('lets overrides (CLI flags) win over the environment', () => {
    expect(loadConfig({ PORT: '9000' }, { PORT: '9100' }).port).toBe(9100);
  });

  it.each([
    ['usgov', 'https://login.microsoftonline.us', 'https://graph.microsoft.us/v1.0'],
    ['china', 'https://login.chinacloudapi.cn', 'https://microsoftgraph.chinacloudapi.cn/v1.0'],
    ['GLOBAL', 'https://login.microsoftonline.com', 'https://graph.microsoft.com/v1.0'],
  ])('uses the %s cloud endpoints from learn.microsoft.com/graph/deployments', (cloud, authorityHost, graphUrl) => {
    expect(loadConfig({ PEOPLEBOOK_CLOUD: cloud })).toMatchObject({ authorityHost, graphUrl });
  });

  it('takes a custom cloud from its two https URLs, adding /v1.0 to a bare Graph host', () => {
    const config = loadConfig({
      PEOPLEBOOK_CLOUD: 'custom',
      PEOPLEBOOK_AUTHORITY_HOST: 'https://127.0.0.1:8443/',
      PEOPLEBOOK_GRAPH_URL: 'https://127.0.0.1:8443',
    });
    expect(config).toMatchObject({ cloud: 'custom', authorityHost: 'https://127.0.0.1:8443', graphUrl: 'https://127.0.0.1:8443/v1.0' });
    expect(loadConfig({ PEOPLEBOOK_CLOUD: 'custom', PEOPLEBOOK_AUTHORITY_HOST: 'https://id.test', PEOPLEBOOK_GRAPH_URL: 'https://graph.test/beta/' }).graphUrl).toBe(
      'https://graph.test/beta',
    );
  });

  it('reads a tenant from the environment, application mode by default', () => {
    const config = loadConfig({ PEOPLEBOOK_TENANT_ID: TENANT.toUpperCase(), PEOPLEBOOK_CLIENT_ID: CLIENT, PEOPLEBOOK_CLIENT_SECRET: 'abc~def' });
    expect(config.envTenant).toEqual({ tenant: TENANT, clientId: CLIENT, clientSecret: 'abc~def', graphAuth: 'application' });
    expect(
      loadConfig({ PEOPLEBOOK_TENANT_ID: 'contoso.onmicrosoft.com', PEOPLEBOOK_CLIENT_ID: CLIENT, PEOPLEBOOK_CLIENT_SECRET: 'x', PEOPLEBOOK_GRAPH_AUTH: 'delegated' })
        .envTenant,
    ).toMatchObject({ tenant: 'contoso.onmicrosoft.com', graphAuth: 'delegated' });
  });

  it('builds the callback from the public URL, keeping a path prefix', () => {
    expect(loadConfig({ PEOPLEBOOK_PUBLIC_URL: 'https://intranet.contoso.com/peoplebook/' }).callbackUrl).toBe('https://intranet.contoso.com/peoplebook/api/azure/callback');
    expect(loadConfig({ PORT: '9000' }).callbackUrl).toBe('http://localhost:9000/api/azure/callback');
    expect(loadConfig({ PEOPLEBOOK_PUBLIC_URL: 'http://127.0.0.1:8787' }).publicUrl).toBe('http://127.0.0.1:8787');
  });

  it('accepts extension origins, normalising and de-duplicating them', () => {
    const config = loadConfig({ PEOPLEBOOK_ALLOWED_ORIGINS: ` ${CHROME}/, ${FIREFOX.toUpperCase().replace('MOZ-EXTENSION', 'moz-extension')},${CHROME}` });
    expect(config.allowedOrigins).toEqual([CHROME, FIREFOX]);
  });

  it.each([
    ['900', 900_000],
    ['60', 60_000],
    ['15m', 900_000],
    ['1h', 3_600_000],
    ['1h30m', 5_400_000],
    ['90s', 90_000],
    ['24h', 86_400_000],
  ])('reads PEOPLEBOOK_SYNC_INTERVAL=%s', (text, ms) => {
    expect(loadConfig({ PEOPLEBOOK_SYNC_INTERVAL: text }).syncIntervalMs).toBe(ms);
  });

  it.each([
    ['yes', true],
    ['TRUE', true],
    ['1', true],
    ['off', false],
    ['false', false],
  ])('reads boolean %s', (text, value) => {
    expect(loadConfig({ PEOPLEBOOK_INCLUDE_GUESTS: text, PEOPLEBOOK_INCLUDE_DISABLED: text })).toMatchObject({ includeGuests: value, includeDisabled: value });
  });

  it('accepts a PostgreSQL URL (the store refuses it until issue #6)', () => {
    expect(loadConfig({ DATABASE_URL: 'postgresql://pb:pw@db:5432/peoplebook' }).database).toEqual({ kind: 'postgres', url: 'postgresql://pb:pw@db:5432/peoplebook' });
  });

  it.each<[string, ConfigSource, string]>([
    ['PORT', { PORT: 'abc' }, 'PORT must be a whole number from 1 to 65535, got "abc"'],
    ['PORT', { PORT: '0' }, 'PORT must be a whole number from 1 to 65535, got "0"'],
    ['PORT', { PORT: '65536' }, 'PORT must be a whole number from 1 to 65535, got "65536"'],
    ['PORT', { PORT: '80.5' }, 'PORT must be a whole number'],
    ['HOST', { HOST: 'not a host' }, 'HOST must be an IP address'],
    ['PEOPLEBOOK_RATE_LIMIT', { PEOPLEBOOK_RATE_LIMIT: '0' }, 'PEOPLEBOOK_RATE_LIMIT must be a whole number of requests a minute from 1 to 1000000, got "0"'],
    ['PEOPLEBOOK_RATE_LIMIT', { PEOPLEBOOK_RATE_LIMIT: 'lots' }, 'PEOPLEBOOK_RATE_LIMIT must be a whole number of requests a minute'],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://db/x' }, 'DATABASE_URL must be file:<path> (SQLite'],
    ['DATABASE_URL', { DATABASE_URL: './data/x.db' }, 'DATABASE_URL must be file:<path>'],
    ['DATABASE_URL', { DATABASE_URL: 'file:./data/' }, 'DATABASE_URL must be a file: URL naming a database file'],
    ['PEOPLEBOOK_SECRET_KEY', { PEOPLEBOOK_SECRET_KEY: 'tooshort' }, 'PEOPLEBOOK_SECRET_KEY must be 32 random bytes written as base64'],
    ['PEOPLEBOOK_CLOUD', { PEOPLEBOOK_CLOUD: 'germany' }, 'PEOPLEBOOK_CLOUD must be one of global, usgov, china, custom, got "germany"'],
    ['PEOPLEBOOK_AUTHORITY_HOST', { PEOPLEBOOK_CLOUD: 'custom', PEOPLEBOOK_GRAPH_URL: 'https://g.test' }, 'PEOPLEBOOK_AUTHORITY_HOST must be set when PEOPLEBOOK_CLOUD=custom'],
    ['PEOPLEBOOK_GRAPH_URL', { PEOPLEBOOK_CLOUD: 'custom', PEOPLEBOOK_AUTHORITY_HOST: 'https://id.test' }, 'PEOPLEBOOK_GRAPH_URL must be set when PEOPLEBOOK_CLOUD=custom'],
    [
      'PEOPLEBOOK_AUTHORITY_HOST',
      { PEOPLEBOOK_CLOUD: 'custom', PEOPLEBOOK_AUTHORITY_HOST: 'http://127.0.0.1:8443', PEOPLEBOOK_GRAPH_URL: 'https://g.test' },
      'PEOPLEBOOK_AUTHORITY_HOST must be an https:// URL',
    ],
    [
      'PEOPLEBOOK_GRAPH_URL',
      { PEOPLEBOOK_CLOUD: 'custom', PEOPLEBOOK_AUTHORITY_HOST: 'https://id.test', PEOPLEBOOK_GRAPH_URL: 'https://g.test/v1.0?x=1' },
      'PEOPLEBOOK_GRAPH_URL must be an https:// URL',
    ],
    ['PEOPLEBOOK_GRAPH_URL', { PEOPLEBOOK_GRAPH_URL: 'https://g.test' }, 'PEOPLEBOOK_GRAPH_URL is only used with PEOPLEBOOK_CLOUD=custom'],
    ['PEOPLEBOOK_CLIENT_ID', { PEOPLEBOOK_TENANT_ID: TENANT, PEOPLEBOOK_CLIENT_SECRET: 'x' }, 'PEOPLEBOOK_CLIENT_ID must be set too'],
    ['PEOPLEBOOK_CLIENT_SECRET', { PEOPLEBOOK_TENANT_ID: TENANT, PEOPLEBOOK_CLIENT_ID: CLIENT }, 'PEOPLEBOOK_CLIENT_SECRET must be set too'],
    ['PEOPLEBOOK_TENANT_ID', { PEOPLEBOOK_CLIENT_ID: CLIENT, PEOPLEBOOK_CLIENT_SECRET: 'x' }, 'PEOPLEBOOK_TENANT_ID must be set too'],
    ['PEOPLEBOOK_TENANT_ID', { PEOPLEBOOK_TENANT_ID: 'contoso', PEOPLEBOOK_CLIENT_ID: CLIENT, PEOPLEBOOK_CLIENT_SECRET: 'x' }, 'PEOPLEBOOK_TENANT_ID must be the tenant ID (a GUID) or a verified domain'],
    ['PEOPLEBOOK_CLIENT_ID', { PEOPLEBOOK_TENANT_ID: TENANT, PEOPLEBOOK_CLIENT_ID: 'my-app', PEOPLEBOOK_CLIENT_SECRET: 'x' }, 'PEOPLEBOOK_CLIENT_ID must be'],
    [
      'PEOPLEBOOK_GRAPH_AUTH',
      { PEOPLEBOOK_TENANT_ID: TENANT, PEOPLEBOOK_CLIENT_ID: CLIENT, PEOPLEBOOK_CLIENT_SECRET: 'x', PEOPLEBOOK_GRAPH_AUTH: 'app' },
      'PEOPLEBOOK_GRAPH_AUTH must be delegated or application, got "app"',
    ],
    ['PEOPLEBOOK_GRAPH_AUTH', { PEOPLEBOOK_GRAPH_AUTH: 'delegated' }, 'PEOPLEBOOK_GRAPH_AUTH applies only to a tenant configured from the environment'],
    ['PEOPLEBOOK_PUBLIC_URL', { PEOPLEBOOK_PUBLIC_URL: 'http://peoplebook.contoso.com' }, 'PEOPLEBOOK_PUBLIC_URL must be an https:// URL (http:// only for localhost)'],
    ['PEOPLEBOOK_PUBLIC_URL', { PEOPLEBOOK_PUBLIC_URL: 'peoplebook.contoso.com' }, 'PEOPLEBOOK_PUBLIC_URL must be an https:// URL'],
    ['PEOPLEBOOK_ALLOWED_ORIGINS', { PEOPLEBOOK_ALLOWED_ORIGINS: 'https://evil.example' }, 'got "https://evil.example"'],
    ['PEOPLEBOOK_ALLOWED_ORIGINS', { PEOPLEBOOK_ALLOWED_ORIGINS: 'chrome-extension://ABC' }, 'PEOPLEBOOK_ALLOWED_ORIGINS must be a comma-separated list'],
    ['PEOPLEBOOK_ALLOWED_ORIGINS', { PEOPLEBOOK_ALLOWED_ORIGINS: 'moz-extension://not-a-uuid' }, 'PEOPLEBOOK_ALLOWED_ORIGINS must be'],
    ['PEOPLEBOOK_SYNC_INTERVAL', { PEOPLEBOOK_SYNC_INTERVAL: '30s' }, 'PEOPLEBOOK_SYNC_INTERVAL must be seconds (900) or a duration such as 30s, 15m, 1h, from 1m to 24h, got "30s"'],
    ['PEOPLEBOOK_SYNC_INTERVAL', { PEOPLEBOOK_SYNC_INTERVAL: '2d' }, 'PEOPLEBOOK_SYNC_INTERVAL must be'],
    ['PEOPLEBOOK_SYNC_INTERVAL', { PEOPLEBOOK_SYNC_INTERVAL: '25h' }, 'PEOPLEBOOK_SYNC_INTERVAL must be'],
    ['PEOPLEBOOK_INCLUDE_GUESTS', { PEOPLEBOOK_INCLUDE_GUESTS: 'maybe' }, 'PEOPLEBOOK_INCLUDE_GUESTS must be true or false, got "maybe"'],
    ['PEOPLEBOOK_INCLUDE_DISABLED', { PEOPLEBOOK_INCLUDE_DISABLED: '2' }, 'PEOPLEBOOK_INCLUDE_DISABLED must be true or false, got "2"'],
    ['PEOPLEBOOK_HISTORY_DAYS', { PEOPLEBOOK_HISTORY_DAYS: '0' }, 'PEOPLEBOOK_HISTORY_DAYS must be a whole number of days from 1 to 3650, got "0"'],
    ['PEOPLEBOOK_HISTORY_DAYS', { PEOPLEBOOK_HISTORY_DAYS: '-3' }, 'PEOPLEBOOK_HISTORY_DAYS must be'],
    ['LOG_LEVEL', { LOG_LEVEL: 'verbose' }, 'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "verbose"'],
  ])('rejects a bad %s and says what it expects (%j)', (variable, env, expected) => {
    const error = problems(env);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.problems.map((p) => p.variable)).toEqual([variable]);
    expect(error.message).toContain(expected);
  });

  it('reports every problem at once', () => {
    const error = problems({ PORT: 'x', LOG_LEVEL: 'loud', PEOPLEBOOK_CLOUD: 'mars', PEOPLEBOOK_HISTORY_DAYS: 'forever' });
    expect(error.problems.map((p) => p.variable)).toEqual(['PORT', 'PEOPLEBOOK_CLOUD', 'PEOPLEBOOK_HISTORY_DAYS', 'LOG_LEVEL']);
    expect(error.message).toMatch(/^Invalid configuration \(4 problems\):\n {2}- PORT/);
  });

  it('never puts a secret value in an error', () => {
    const secretKey = 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA-not-a-key';
    const clientSecret = 'Zq8~verysecret.value_123';
    const error = problems({
      PEOPLEBOOK_SECRET_KEY: secretKey,
      PEOPLEBOOK_CLIENT_SECRET: clientSecret,
      PEOPLEBOOK_TENANT_ID: TENANT,
      PEOPLEBOOK_CLIENT_ID: 'not-a-guid',
      DATABASE_URL: 'mysql://user:hunter2pass@db/x',
    });
    expect(error.problems.map((p) => p.variable).sort()).toEqual(['DATABASE_URL', 'PEOPLEBOOK_CLIENT_ID', 'PEOPLEBOOK_SECRET_KEY']);
    expect(error.message).not.toContain(secretKey);
    expect(error.message).not.toContain(clientSecret);
    expect(error.message).not.toContain('hunter2pass');
    expect(error.message).toContain('got a value of 66 characters');
  });

  it('describes the configuration without its secrets', () => {
    const config = loadConfig({
      PEOPLEBOOK_SECRET_KEY: Buffer.alloc(32, 7).toString('base64'),
      PEOPLEBOOK_TENANT_ID: TENANT,
      PEOPLEBOOK_CLIENT_ID: CLIENT,
      PEOPLEBOOK_CLIENT_SECRET: 'Zq8~verysecret',
      DATABASE_URL: 'postgres://pb:hunter2pass@db/peoplebook',
    });
    const text = JSON.stringify(describeConfig(config));
    expect(text).not.toContain('Zq8~verysecret');
    expect(text).not.toContain('hunter2pass');
    expect(text).not.toContain(Buffer.alloc(32, 7).toString('base64'));
    expect(text).toContain('postgres://pb:***@db/peoplebook');
  });
});

describe('CONFIG_VARIABLES', () => {
  it('documents every variable loadConfig reads, once', () => {
    const names = CONFIG_VARIABLES.map((v) => v.name);
    expect(new Set(names).size).toBe(names.length);
    for (const name of ['PORT', 'DATABASE_URL', 'PEOPLEBOOK_SECRET_KEY', 'PEOPLEBOOK_CLOUD', 'PEOPLEBOOK_AUTHORITY_HOST', 'PEOPLEBOOK_GRAPH_URL', 'PEOPLEBOOK_GRAPH_AUTH', 'LOG_LEVEL']) {
      expect(names).toContain(name);
    }
    expect(CONFIG_VARIABLES.filter((v) => v.secret).map((v) => v.name)).toEqual(['PEOPLEBOOK_SECRET_KEY', 'PEOPLEBOOK_CLIENT_SECRET']);
  });

  it('lists defaults that loadConfig really applies', () => {
    const config = loadConfig({});
    const defaults = Object.fromEntries(CONFIG_VARIABLES.map((v) => [v.name, v.default]));
    expect(String(config.port)).toBe(defaults.PORT);
    expect(config.databaseUrl).toBe(defaults.DATABASE_URL);
    expect(config.keyFile).toBe(defaults.PEOPLEBOOK_KEY_FILE);
    expect(config.cloud).toBe(defaults.PEOPLEBOOK_CLOUD);
    expect(config.syncIntervalMs).toBe(parseDuration(defaults.PEOPLEBOOK_SYNC_INTERVAL!));
    expect(String(config.historyDays)).toBe(defaults.PEOPLEBOOK_HISTORY_DAYS);
    expect(config.logLevel).toBe(defaults.LOG_LEVEL);
    expect(CLOUDS.global.authorityHost).toBe(config.authorityHost);
  });
});
