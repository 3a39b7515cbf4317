import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { EmulatorState } from '../state.ts';
import { FAULT_STATUSES } from './faults.ts';

/**
 * The emulator's own knobs for Graph, mounted at `/_emulator/graph` (not part of Microsoft Graph):
 * - `GET|PUT /faults`  {rate, statuses, latencyMs, retryAfterSeconds, seed}
 * - `GET|PUT /throttle` {enabled, budgetPer10s (null = tenant-size tiers)}
 * - `POST /delta/expire` {tenantId?}: every outstanding delta/skip token of the tenant (all tenants
 *   when omitted) gets the sync reset (410 + Location) on its next use
 * - `GET /stats`, `DELETE /stats`: request, fault and throttle counters
 * JSON in and out; bad input is a 400 `{"error": "..."}` that says what to fix.
 */

const faultsSchema = z
  .object({
    rate: z.number().min(0).max(1),
    statuses: z.array(z.literal([...FAULT_STATUSES])).min(1),
    latencyMs: z.number().min(0).max(60_000),
    retryAfterSeconds: z.number().int().min(0).max(180),
    seed: z.number().int(),
  })
  .partial()
  .strict();

const throttleSchema = z
  .object({
    enabled: z.boolean(),
    budgetPer10s: z.number().int().min(1).nullable(),
  })
  .partial()
  .strict();

const expireSchema = z.object({ tenantId: z.string().min(1) }).partial().strict();

async function readJson<T>(c: Context, schema: z.ZodType<T>, optional = false): Promise<T | Response> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (optional) return schema.parse({});
    return c.json({ error: 'Send a JSON object in the request body.' }, 400);
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return c.json({ error: 'The request body is not valid JSON.' }, 400);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) return c.json({ error: z.prettifyError(parsed.error) }, 400);
  return parsed.data;
}

export function createGraphControlRoutes(state: EmulatorState): Hono {
  const app = new Hono();
  const graph = state.graph;

  app.get('/faults', (c) => c.json(graph.faults.settings()));
  app.put('/faults', async (c) => {
    const body = await readJson(c, faultsSchema);
    if (body instanceof Response) return body;
    return c.json(graph.faults.configure(body));
  });

  app.get('/throttle', (c) => c.json(graph.throttle.settings()));
  app.put('/throttle', async (c) => {
    const body = await readJson(c, throttleSchema);
    if (body instanceof Response) return body;
    return c.json(graph.throttle.configure(body));
  });

  app.post('/delta/expire', async (c) => {
    const body = await readJson(c, expireSchema, true);
    if (body instanceof Response) return body;
    const tenants = body.tenantId ? [state.registry.resolve(body.tenantId)] : state.registry.tenants();
    if (tenants.some((tenant) => !tenant)) return c.json({ error: `No tenant '${body.tenantId ?? ''}' in this emulator.` }, 400);
    const expired = tenants.map((tenant) => {
      graph.expireDeltaTokens(tenant!.config.id);
      return tenant!.config.id;
    });
    return c.json({ expired });
  });

  app.get('/stats', (c) => c.json(graph.stats));
  app.delete('/stats', (c) => {
    graph.resetStats();
    return c.json(graph.stats);
  });

  return app;
}
