import { isSealed, type Sealed } from '../crypto.ts';
import { StoreError, type SyncState, type SyncStatePatch, type Tenant, type TenantError } from './types.ts';

/**
 * What the SQLite and PostgreSQL stores share: limits, the stored shape of a tenant and its last error,
 * and the checks both make before writing. Each store reads its own columns (SQLite keeps JSON as text,
 * PostgreSQL as jsonb) and hands them here already decoded.
 */

export const DEFAULT_PENDING_TTL_MS = 15 * 60_000;
export const MAX_FEED_LIMIT = 10_000;
/** Users read per batch by listUsers (export). */
export const LIST_BATCH = 1_000;

/** A TenantError as stored: its time in epoch milliseconds. */
export type StoredError = Omit<TenantError, 'at'> & { at: number };

/** A tenant row with its JSON columns decoded. */
export interface TenantRecord {
  id: string;
  state: string;
  cloud: string;
  authority_host: string;
  graph_url: string;
  client_id: string;
  graph_auth: string;
  source: string;
  client_secret: string | null;
  admin_upn: string | null;
  admin_oid: string | null;
  granted_scopes: string[];
  secret_expires_at: number | null;
  last_error: StoredError | null;
  created_at: number;
  updated_at: number;
}

export function toTenant(row: TenantRecord): Tenant {
  return {
    id: row.id,
    state: row.state as Tenant['state'],
    cloud: row.cloud as Tenant['cloud'],
    authorityHost: row.authority_host,
    graphUrl: row.graph_url,
    clientId: row.client_id,
    graphAuth: row.graph_auth as Tenant['graphAuth'],
    source: row.source as Tenant['source'],
    clientSecret: row.client_secret as Sealed | null,
    adminUpn: row.admin_upn,
    adminOid: row.admin_oid,
    grantedScopes: row.granted_scopes,
    secretExpiresAt: toDate(row.secret_expires_at),
    lastError: fromStoredError(row.last_error),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export function toDate(ms: number | null): Date | null {
  return ms === null ? null : new Date(ms);
}

/** JSON text of an error to store (also PostgreSQL's jsonb parameter: node-postgres would turn a JS array into a PostgreSQL array, so always a string). */
export function errorJson(error: TenantError | null): string | null {
  return error === null ? null : JSON.stringify({ ...error, at: error.at.getTime() });
}

export function fromStoredError(stored: StoredError | null): TenantError | null {
  return stored === null ? null : { code: stored.code, message: stored.message, fix: stored.fix, at: new Date(stored.at) };
}

/** Defence in depth behind the `Sealed` type: a cast can't slip a plaintext secret into the database. */
export function assertSealed(value: string | null, field: string): void {
  if (value !== null && !isSealed(value)) {
    throw new StoreError('NOT_SEALED', `Refusing to store ${field}: it is not sealed with encryptSecret().`);
  }
}

export function checkId(id: unknown): string {
  if (typeof id !== 'string' || id === '') throw new StoreError('INVALID_PAGE', `A sync page holds a user without an id (${JSON.stringify(id)}).`);
  return id;
}

export function tenantNotFound(tenantId: string): StoreError {
  return new StoreError('TENANT_NOT_FOUND', `No tenant ${tenantId} in the store.`);
}

// ---- sync_state ----

/** A sync_state row; `last_error` as the driver hands it back (`E`: JSON text in SQLite, jsonb in PostgreSQL). */
export interface SyncRecord<E> {
  tenant_id: string;
  next_link: string | null;
  delta_link: string | null;
  full_sync_run: string | null;
  phase: string;
  last_start: number | null;
  last_end: number | null;
  last_outcome: string | null;
  last_error: E;
  next_run_at: number | null;
  users_mirrored: number;
  seq: number;
  history_floor: number;
}

export function toSyncState<E>(row: SyncRecord<E>, decodeError: (stored: E) => TenantError | null): SyncState {
  return {
    tenantId: row.tenant_id,
    cursor: { ...(row.next_link !== null && { nextLink: row.next_link }), ...(row.delta_link !== null && { deltaLink: row.delta_link }) },
    fullSyncRunId: row.full_sync_run,
    phase: row.phase as SyncState['phase'],
    lastStart: toDate(row.last_start),
    lastEnd: toDate(row.last_end),
    lastOutcome: row.last_outcome as SyncState['lastOutcome'],
    lastError: decodeError(row.last_error),
    nextRunAt: toDate(row.next_run_at),
    usersMirrored: row.users_mirrored,
    latestSeq: row.seq,
    historyFloor: row.history_floor,
  };
}

const SYNC_STATE_COLUMNS: Record<keyof SyncStatePatch, string> = {
  phase: 'phase',
  lastStart: 'last_start',
  lastEnd: 'last_end',
  lastOutcome: 'last_outcome',
  lastError: 'last_error',
  nextRunAt: 'next_run_at',
};

/** The sync_state columns a patch sets, with their stored values (times in epoch ms, the error as JSON). */
export function syncStateAssignments(patch: SyncStatePatch): [column: string, value: string | number | null][] {
  const assignments: [string, string | number | null][] = [];
  for (const [key, value] of Object.entries(patch) as [keyof SyncStatePatch, unknown][]) {
    if (value === undefined || !(key in SYNC_STATE_COLUMNS)) continue;
    const stored = key === 'lastError' ? errorJson(value as TenantError | null) : value instanceof Date ? value.getTime() : (value as string | null);
    assignments.push([SYNC_STATE_COLUMNS[key], stored]);
  }
  return assignments;
}
