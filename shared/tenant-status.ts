import { z } from 'zod';

/**
 * A tenant's setup and sync status as the proxy serves it (`GET /api/v1/tenants/{id}/status`) and the
 * options page reads it: no personal data, every time an ISO string.
 */
export const tenantStatusSchema = z.object({
  tenantId: z.string(),
  state: z.enum(['pending', 'active', 'error']),
  graphAuth: z.enum(['delegated', 'application']),
  usersMirrored: z.number().int(),
  lastSync: z.object({ start: z.string().nullable(), end: z.string().nullable(), outcome: z.string().nullable() }),
  nextSync: z.string().nullable(),
  syncing: z.boolean(),
  lastError: z.object({ code: z.string(), message: z.string(), fix: z.string(), at: z.string() }).nullable(),
  secretExpiresAt: z.string().nullable(),
  missingPermissions: z.array(z.string()),
});
export type TenantStatus = z.infer<typeof tenantStatusSchema>;
