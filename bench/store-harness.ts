import type { Contact } from '../shared/contact.ts';

/**
 * What the SQLite and PostgreSQL store benches share: the tenant, pages of 999 generated users (the
 * `$top` maximum), and the statistics they report.
 */

export const PAGE = 999;
export const PAGES = 100; // 99,900 users
export const TENANT = 'bench000-0000-4000-8000-000000000000';
/** The sealing key the benches open their stores with. */
export const key = Buffer.alloc(32, 1);

export function user(n: number, revision = 0): Contact {
  return {
    id: `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
    displayName: `Firstname${n} Lastname${n}`,
    givenName: `Firstname${n}`,
    surname: `Lastname${n}`,
    mail: `user${n}@lakeside.example`,
    userPrincipalName: `user${n}@lakesideworks.onmicrosoft.com`,
    jobTitle: revision === 0 ? 'Senior Software Engineer' : `Principal Engineer r${revision}`,
    department: `Department ${n % 40}`,
    companyName: 'Lakeside Works',
    officeLocation: `Building ${n % 12}, Floor ${n % 7}`,
    businessPhones: [`+49 30 ${String(1_000_000 + n)}`],
    mobilePhone: n % 3 === 0 ? null : `+49 170 ${String(2_000_000 + n)}`,
    accountEnabled: true,
    userType: 'Member',
    managerId: n > 1 ? `00000000-0000-4000-8000-${String(Math.floor(n / 10) + 1).padStart(12, '0')}` : null,
  };
}

export const pageOf = (from: number, revision = 0): Contact[] => Array.from({ length: PAGE }, (_, i) => user(from + i, revision));

export function stats(samples: number[]): { p50: number; p95: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { p50: at(0.5), p95: at(0.95), mean: samples.reduce((a, b) => a + b, 0) / samples.length };
}

export async function time(fn: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}
