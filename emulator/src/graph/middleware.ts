import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { EmulatorState } from '../state.ts';
import type { GraphEnv } from './env.ts';
import { errorBody, GraphError } from './errors.ts';
import { requestCost } from './throttle.ts';

/**
 * Request plumbing every Graph response shares: `request-id` and `client-request-id` headers (the client
 * ID echoed when the caller sent one, https://learn.microsoft.com/graph/best-practices-concept), the error
 * body of https://learn.microsoft.com/graph/errors, statistics, injected faults, and throttling.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function requestContext(state: EmulatorState) {
  return createMiddleware<GraphEnv>(async (c, next) => {
    const requestId = randomUUID();
    const clientRequestId = c.req.header('client-request-id') ?? requestId;
    c.set('requestId', requestId);
    c.set('clientRequestId', clientRequestId);
    state.graph.stats.requests += 1;
    const latency = state.graph.faults.settings().latencyMs;
    if (latency > 0) await sleep(latency);
    await next();
    c.res.headers.set('request-id', requestId);
    c.res.headers.set('client-request-id', clientRequestId);
    c.res.headers.set(
      'x-ms-ags-diagnostic',
      JSON.stringify({ ServerInfo: { DataCenter: 'Emulator', Slice: 'E', Ring: '0', ScaleUnit: '000', RoleInstance: 'peoplebook-emulator' } }),
    );
    state.graph.recordResponse(c.res.status);
  });
}

/** Renders a GraphError (or any unexpected error, as 500 UnknownError) in Graph's shape. */
export function renderError(state: EmulatorState) {
  return (error: Error, c: Context<GraphEnv>): Response => {
    const graphError = error instanceof GraphError ? error : new GraphError(500, 'UnknownError', 'An unexpected error occurred on the server.');
    if (!(error instanceof GraphError)) console.error('graph emulator: unexpected error', error);
    const requestId = c.get('requestId') ?? randomUUID();
    const body = errorBody(graphError, { requestId, clientRequestId: c.get('clientRequestId') ?? requestId, now: state.clock.now() });
    return new Response(body, {
      status: graphError.status,
      headers: { 'content-type': 'application/json', ...graphError.headers },
    });
  };
}

/** Random failures from the fault settings (GraphOptions or the control API). */
export function faultInjection(state: EmulatorState) {
  return createMiddleware<GraphEnv>(async (_c, next) => {
    const fault = state.graph.faults.next();
    if (fault) {
      state.graph.stats.faultsInjected += 1;
      state.graph.stats.faultsByStatus[fault.status] = (state.graph.stats.faultsByStatus[fault.status] ?? 0) + 1;
      throw fault;
    }
    await next();
  });
}

/** Charges the request's resource units to the caller's app+tenant bucket (after authentication). */
export function throttling(state: EmulatorState) {
  return createMiddleware<GraphEnv>(async (c, next) => {
    const { claims, tenant } = c.get('caller');
    const url = new URL(c.req.url);
    const path = url.pathname.replace(/^\/v1\.0\/?/, '');
    const outcome = state.graph.throttle.charge({
      tenantId: tenant.config.id,
      appId: claims.appid,
      userCount: tenant.directory.size,
      cost: requestCost(path, url.searchParams),
      now: state.clock.now(),
    });
    if (outcome.error) {
      state.graph.stats.throttled += 1;
      throw outcome.error;
    }
    await next();
    for (const [name, value] of Object.entries(outcome.headers)) c.res.headers.set(name, value);
  });
}

/** JSON the way Graph labels it (OData minimal metadata). */
export function graphJson(c: Context<GraphEnv>, body: unknown, status: 200 = 200, headers: Record<string, string> = {}): Response {
  return c.body(JSON.stringify(body), status, {
    'content-type': 'application/json;odata.metadata=minimal;odata.streaming=true;IEEE754Compatible=false;charset=utf-8',
    'odata-version': '4.0',
    ...headers,
  });
}
