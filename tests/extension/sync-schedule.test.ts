import { fakeBrowser } from 'wxt/testing/fake-browser';
import { describe, expect, it, vi } from 'vitest';

// @wxt-dev/browser reads globalThis.browser once, when first imported: install the fake first.
Object.assign(globalThis, { browser: fakeBrowser, chrome: fakeBrowser });
const { SYNC_ALARM, createSyncSchedule } = await import('../../extension/lib/sync-schedule.ts');

const stored = { lastSyncAt: null as number | null, error: null as { code: string; message: string } | null, count: 0 };

function fakeAlarms() {
  const alarms = new Map<string, { name: string; periodInMinutes?: number; scheduledTime: number }>();
  return {
    alarms,
    get: vi.fn(async (name: string) => alarms.get(name)),
    create: vi.fn(async (name: string, info: { delayInMinutes?: number; periodInMinutes?: number }) => {
      alarms.set(name, { name, periodInMinutes: info.periodInMinutes, scheduledTime: Date.now() + (info.delayInMinutes ?? 0) * 60_000 });
    }),
  };
}

describe('createSyncSchedule', () => {
  it('creates the periodic alarm, and leaves it alone while the interval is unchanged', async () => {
    const alarms = fakeAlarms();
    const schedule = createSyncSchedule({ sync: async () => undefined, readStatus: async () => stored, alarms: alarms as never });
    await schedule.schedule(15);
    await schedule.schedule(15);
    expect(alarms.create).toHaveBeenCalledOnce();
    expect(alarms.alarms.get(SYNC_ALARM)?.periodInMinutes).toBe(15);
    await schedule.schedule(60);
    expect(alarms.alarms.get(SYNC_ALARM)?.periodInMinutes).toBe(60);
    expect(schedule.isSyncAlarm({ name: SYNC_ALARM })).toBe(true);
    expect(schedule.isSyncAlarm({ name: 'other' })).toBe(false);
  });

  it('runs one round at a time: a request during a round joins it and reports syncing', async () => {
    let finish: () => void = () => undefined;
    const sync = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const schedule = createSyncSchedule({ sync, readStatus: async () => ({ ...stored, lastSyncAt: 5, count: 12 }), alarms: fakeAlarms() as never });
    const first = schedule.runNow();
    const second = schedule.runNow();
    await vi.waitFor(() => expect(sync).toHaveBeenCalledOnce());
    await expect(schedule.status()).resolves.toMatchObject({ syncing: true });
    finish();
    await expect(first).resolves.toEqual({ lastSyncAt: 5, error: null, count: 12, syncing: false });
    await expect(second).resolves.toMatchObject({ syncing: false });
    expect(sync).toHaveBeenCalledOnce();
  });

  it('reports how the latest round failed, over an older stored error, until a round succeeds', async () => {
    const sync = vi
      .fn()
      .mockRejectedValueOnce(Object.assign(new Error('Peoplebook is not set up yet.'), { code: 'tenant_not_set_up' }))
      .mockRejectedValueOnce(Object.assign(new Error('Sign in.'), { code: 'not_signed_in' }))
      .mockResolvedValueOnce(undefined);
    let storedError: { code: string; message: string } | null = null;
    const schedule = createSyncSchedule({ sync, readStatus: async () => ({ ...stored, error: storedError }), alarms: fakeAlarms() as never });
    await expect(schedule.runNow()).resolves.toMatchObject({ error: { code: 'tenant_not_set_up' }, syncing: false });
    storedError = { code: 'not_signed_in', message: 'Sign in.' };
    await expect(schedule.runNow()).resolves.toMatchObject({ error: { code: 'not_signed_in' } });
    storedError = null;
    await expect(schedule.runNow()).resolves.toMatchObject({ error: null });
  });
});
