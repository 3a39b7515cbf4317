import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one proxy process, on its own registry (no global state). Served at /metrics. */
export interface ProxyMetrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'method'>;
  syncRuns: Counter<'outcome'>;
  syncPages: Counter;
  syncPageDuration: Histogram;
  usersMirrored: Gauge<'tenant'>;
}

export function createMetrics(options: { defaultMetrics?: boolean } = {}): ProxyMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry, prefix: 'peoplebook_' });
  return {
    registry,
    httpRequests: new Counter({ name: 'peoplebook_http_requests_total', help: 'HTTP requests by route, method and status', labelNames: ['route', 'method', 'status'], registers: [registry] }),
    httpDuration: new Histogram({
      name: 'peoplebook_http_request_duration_seconds',
      help: 'HTTP request duration by route and method',
      labelNames: ['route', 'method'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    syncRuns: new Counter({ name: 'peoplebook_sync_runs_total', help: 'Directory sync rounds by outcome', labelNames: ['outcome'], registers: [registry] }),
    syncPages: new Counter({ name: 'peoplebook_sync_pages_total', help: 'Graph delta pages committed to the mirror', registers: [registry] }),
    syncPageDuration: new Histogram({
      name: 'peoplebook_sync_page_commit_seconds',
      help: 'Proxy work per committed delta page (mapping and store transaction, Graph time excluded)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25],
      registers: [registry],
    }),
    usersMirrored: new Gauge({ name: 'peoplebook_users_mirrored', help: 'Users in the mirror by tenant', labelNames: ['tenant'], registers: [registry] }),
  };
}
