import { Hono } from 'hono';
import type { EmulatorState } from '../state.ts';
import { authentication } from './auth.ts';
import { createGraphControlRoutes } from './control.ts';
import { registerDeltaRoutes } from './delta.ts';
import type { GraphEnv } from './env.ts';
import { GraphError, segmentNotFound } from './errors.ts';
import { faultInjection, renderError, requestContext, throttling } from './middleware.ts';
import { registerPhotoRoutes } from './photos.ts';
import { registerUserRoutes } from './users.ts';

/**
 * Microsoft Graph v1.0, the users API subset Peoplebook needs, mounted at `/v1.0`.
 * Order of work per request: request IDs → injected latency/faults → authentication → throttling →
 * the route. Errors of every stage are rendered in Graph's error shape.
 */
export function graphRoutes(state: EmulatorState): Hono {
  const app = new Hono<GraphEnv>();
  app.onError(renderError(state));
  app.use('*', requestContext(state));
  app.use('*', faultInjection(state));
  app.use('*', authentication(state));
  app.use('*', throttling(state));
  // Static segments before `/users/:key`.
  registerDeltaRoutes(app, state);
  registerPhotoRoutes(app, state);
  registerUserRoutes(app, state);
  app.all('*', (c) => {
    // The users API is read-only here; Graph answers other methods on these paths with 405.
    if (c.req.method !== 'GET') throw new GraphError(405, 'Request_BadRequest', 'Specified HTTP method is not allowed for the request target.');
    const segment = new URL(c.req.url).pathname.replace(/^\/v1\.0\/?/, '').split('/')[0] ?? '';
    throw segmentNotFound(decodeURIComponent(segment));
  });
  return app as unknown as Hono;
}

/** The emulator's Graph control API, mounted at `/_emulator/graph`. */
export function graphControlRoutes(state: EmulatorState): Hono {
  return createGraphControlRoutes(state);
}
