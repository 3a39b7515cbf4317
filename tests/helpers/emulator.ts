import { startEmulator, type Emulator, type EmulatorOptions } from '../../emulator/src/server.ts';

/** Starts an emulator on a free port with the test CA (see tests/global-setup.ts). Close it in afterAll. */
export function startTestEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  return startEmulator({ users: 200, ...options });
}

/** Calls the emulator's control API (`/_emulator/...`) and returns the parsed JSON answer. */
export async function control<T = unknown>(emulator: Emulator, method: string, route: string, body?: unknown): Promise<T> {
  const response = await fetch(`${emulator.controlUrl}${route}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`control ${method} ${route} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
