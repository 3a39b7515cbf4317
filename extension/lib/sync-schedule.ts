import { browser } from 'wxt/browser';
import type { SyncStatus } from './messages.ts';

/**
 * When the background syncs: on install and browser start, on an alarm every `syncIntervalMinutes`
 * (default 15), and when asked (`sync/now`: the popup opening with stale data, the options page). One
 * round at a time; a request during a round joins it. Alarms survive the service worker's shutdowns,
 * and Chrome fires a missed periodic alarm once when the browser wakes.
 */

export const SYNC_ALARM = 'peoplebook-sync';

type Alarms = Pick<typeof browser.alarms, 'create' | 'get'>;

export interface SyncScheduleDeps {
  /** One sync round (lib/sync.ts syncDirectory with a proxy client). */
  sync(): Promise<unknown>;
  /**
   * What the local copy says: last success, last recorded error, contact count. `syncing`: a round runs
   * in this context now (the count may then come from what is cheap to read rather than be exact).
   */
  readStatus(syncing: boolean): Promise<Omit<SyncStatus, 'syncing'>>;
  alarms?: Alarms;
}

export interface SyncSchedule {
  /** Creates or updates the periodic alarm; a no-op when the period is unchanged. */
  schedule(intervalMinutes: number): Promise<void>;
  /** Runs a round (or joins the running one) and answers the status after it. */
  runNow(): Promise<SyncStatus>;
  status(): Promise<SyncStatus>;
  isSyncAlarm(alarm: { name: string }): boolean;
}

export function createSyncSchedule(deps: SyncScheduleDeps): SyncSchedule {
  const alarms = deps.alarms ?? browser.alarms;
  let running: Promise<unknown> | undefined;
  /**
   * How the latest round in this context failed, if it did. It covers failures the round could not
   * record in the database (no settings, no database) and wins over the stored error, which may be older.
   */
  let roundError: { code: string; message: string } | null = null;

  const status = async (): Promise<SyncStatus> => {
    const stored = await deps.readStatus(running !== undefined).catch(() => ({ lastSyncAt: null, error: null, count: 0 }));
    return { ...stored, error: roundError ?? stored.error, syncing: running !== undefined };
  };

  return {
    async schedule(intervalMinutes) {
      const existing = await alarms.get(SYNC_ALARM);
      if (existing?.periodInMinutes === intervalMinutes) return;
      await alarms.create(SYNC_ALARM, { delayInMinutes: intervalMinutes, periodInMinutes: intervalMinutes });
    },
    async runNow() {
      running ??= deps
        .sync()
        .then(
          () => {
            roundError = null;
          },
          (error: unknown) => {
            const code = typeof (error as { code?: unknown } | null)?.code === 'string' ? (error as { code: string }).code : 'unexpected';
            roundError = { code, message: error instanceof Error ? error.message : String(error) };
          },
        )
        .finally(() => {
          running = undefined;
        });
      await running;
      return status();
    },
    status,
    isSyncAlarm: (alarm) => alarm.name === SYNC_ALARM,
  };
}
