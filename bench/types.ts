/** One measured figure. `target` is the design's goal for it (../shared/design.md), when it has one. */
export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  target?: { op: '<=' | '>='; value: number };
  note?: string;
}

export type Bench = () => Promise<BenchResult[]>;

/** Peak resident set size of this process so far, in MiB (Linux: VmHWM). */
export async function peakRssMiB(): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile('/proc/self/status', 'utf8').catch(() => '');
  const match = /VmHWM:\s+(\d+) kB/.exec(status);
  return match ? Number(match[1]) / 1024 : process.memoryUsage().rss / 2 ** 20;
}
