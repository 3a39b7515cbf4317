import { createWriteStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { CONFIG_VARIABLES, ConfigError, describeConfig, loadConfig, type ProxyConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { openProxy, startProxy } from './server.ts';
import { runDoctor } from './doctor.ts';
import { exportDirectory } from './export.ts';
import { leaseOwnerId, syncTenant } from './sync/sync-tenant.ts';

const COMMANDS = {
  serve: `peoplebook-proxy serve [--port P] [--host H]

Starts the proxy: onboarding API and callback, the changes feed, photos, status, /metrics, /openapi.json.
Syncs every active tenant on schedule (PEOPLEBOOK_SYNC_INTERVAL). SIGTERM or Ctrl+C stops it after the
page being committed.`,
  sync: `peoplebook-proxy sync --once [--tenant ID]

Runs one sync round for every active tenant (or one), prints a JSON report per tenant, and exits
non-zero when a round fails.`,
  export: `peoplebook-proxy export --format json|vcf [--tenant ID] [--out FILE]

Writes a tenant's mirrored directory as a JSON array of contacts or as vCard 4.0 (RFC 6350) to FILE or
standard output. --tenant may be left out when the proxy has one tenant.`,
  doctor: `peoplebook-proxy doctor [--tenant ID]

Walks the setup step by step against the configured cloud (configuration, secret key, database,
sign-in endpoint, tenant, app and secret, permissions, Graph) and prints pass or fail for each step
with the fix. Exits non-zero when a step fails.`,
} as const;

function help(): string {
  const vars = CONFIG_VARIABLES.map((v) => `  ${v.name.padEnd(28)} ${v.description}${v.default === undefined ? '' : ` (default ${v.default})`}`).join('\n');
  return `peoplebook-proxy: the Peoplebook directory proxy.

Commands:
${Object.values(COMMANDS).map((text) => `  ${text.split('\n')[0]}`).join('\n')}

Run "peoplebook-proxy <command> --help" for one command. Configuration comes from the environment:
${vars}
`;
}

function fail(message: string, code = 2): never {
  process.stderr.write(`peoplebook-proxy: ${message}\n`);
  process.exit(code);
}

export async function main(argv: string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    process.stdout.write(help());
    return;
  }
  if (!(command in COMMANDS)) fail(`unknown command "${command}": use serve, sync, export or doctor (peoplebook-proxy --help)`);
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: rest,
      strict: true,
      options: {
        help: { type: 'boolean', short: 'h' },
        port: { type: 'string' },
        host: { type: 'string' },
        once: { type: 'boolean' },
        tenant: { type: 'string' },
        format: { type: 'string' },
        out: { type: 'string' },
      },
    }));
  } catch (error) {
    fail(`${(error as Error).message} (peoplebook-proxy ${command} --help)`);
  }
  if (values.help) {
    process.stdout.write(`${COMMANDS[command as keyof typeof COMMANDS]}\n`);
    return;
  }
  let config: ProxyConfig;
  try {
    config = loadConfig(process.env, { PORT: values.port as string | undefined, HOST: values.host as string | undefined });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const tenantArg = (values.tenant as string | undefined)?.toLowerCase();

  switch (command) {
    case 'serve': {
      const proxy = await startProxy(config);
      proxy.log.info({ config: describeConfig(config) }, 'configuration');
      const stop = (signal: string) => {
        proxy.log.info({ signal }, 'stopping');
        void proxy.close().then(() => process.exit(0));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      return;
    }
    case 'sync': {
      if (!values.once) fail('sync needs --once (the scheduled sync runs inside "serve")');
      const { store, tenants, log } = await openProxy(config, { log: createLogger(config.logLevel === 'info' ? 'warn' : config.logLevel) });
      await tenants.ensureEnvTenant();
      const all = (await store.listTenants()).filter((t) => t.state === 'active' && (!tenantArg || t.id === tenantArg));
      if (all.length === 0) fail(tenantArg ? `tenant ${tenantArg} is not active on this proxy` : 'no active tenant: connect one from the options page or set PEOPLEBOOK_TENANT_ID', 1);
      let failed = false;
      for (const tenant of all) {
        const report = await syncTenant(tenant.id, {
          store,
          graph: tenants.graphFor(tenant),
          graphUrl: tenant.graphUrl,
          filters: { includeGuests: config.includeGuests, includeDisabled: config.includeDisabled },
          leaseOwner: leaseOwnerId('cli'),
          log,
        });
        failed ||= report.outcome !== 'ok';
        process.stdout.write(`${JSON.stringify({ tenantId: tenant.id, ...report })}\n`);
      }
      await store.close();
      process.exit(failed ? 1 : 0);
      return;
    }
    case 'export': {
      const format = values.format as string | undefined;
      if (format !== 'json' && format !== 'vcf') fail('export needs --format json or --format vcf');
      const { store } = await openProxy(config, { log: createLogger('warn') });
      const tenantsList = await store.listTenants();
      const tenant = tenantArg ? tenantsList.find((t) => t.id === tenantArg) : tenantsList.length === 1 ? tenantsList[0] : undefined;
      if (!tenant) fail(tenantArg ? `no tenant ${tenantArg} on this proxy` : `this proxy has ${tenantsList.length} tenants: name one with --tenant`);
      const out = values.out ? createWriteStream(values.out as string) : process.stdout;
      const count = await exportDirectory(store, tenant.id, format, out);
      if (values.out) await new Promise<void>((resolve, reject) => (out as ReturnType<typeof createWriteStream>).end((error?: Error | null) => (error ? reject(error) : resolve())));
      process.stderr.write(`exported ${count} contacts of tenant ${tenant.id} as ${format}\n`);
      await store.close();
      return;
    }
    case 'doctor': {
      const ok = await runDoctor(config, { tenant: tenantArg, write: (line) => process.stdout.write(`${line}\n`) });
      process.exit(ok ? 0 : 1);
    }
  }
}
