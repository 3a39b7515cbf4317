/**
 * The seeded org chart: a complete tree over user indices, so a manager and its reports are index
 * arithmetic, never a scan. User 0 is the chief executive; user i > 0 reports to ⌊(i − 1) / BRANCHING⌋,
 * so every manager has a lower index than its reports and user m's reports are
 * m·BRANCHING + 1 … m·BRANCHING + BRANCHING.
 */
export const BRANCHING = 8;

/** Index of the seeded manager of `index`, or -1 for the top of the tree. */
export function parentIndex(index: number): number {
  return index === 0 ? -1 : Math.floor((index - 1) / BRANCHING);
}

/** Seeded reports of `index` among `count` users, as a half-open range [start, end). */
export function childRange(index: number, count: number): [start: number, end: number] {
  const start = index * BRANCHING + 1;
  return [Math.min(start, count), Math.min(start + BRANCHING, count)];
}

export function hasReports(index: number, count: number): boolean {
  return index * BRANCHING + 1 < count;
}

/** 0 for the chief executive, 1 for the executive team, and so on. */
export function depthOf(index: number): number {
  let depth = 0;
  for (let i = index; i > 0; i = parentIndex(i)) depth++;
  return depth;
}

/** The executive team (depth 1), in index order. Index 1 is also the fixed `employee@` account. */
const EXECUTIVES = [
  'Chief Operating Officer',
  'Chief Technology Officer',
  'Chief Product Officer',
  'Chief Revenue Officer',
  'Chief Marketing Officer',
  'Chief Financial Officer',
  'Chief People Officer',
  'Chief Information Officer',
] as const;

export const EXECUTIVE_OFFICE = 'Executive Office';

/**
 * Departments of the 64 depth-2 leaders, 8 under each executive in `EXECUTIVES` order. Everybody
 * below a depth-2 leader shares that leader's department, so a department is a real reporting line.
 */
const DEPARTMENTS_AT_DEPTH_2: readonly string[] = [
  ...Array<string>(4).fill('Operations'), 'Facilities', 'Facilities', 'Procurement', 'Procurement',
  ...Array<string>(6).fill('Engineering'), 'Research', 'Research',
  ...Array<string>(4).fill('Product Management'), ...Array<string>(4).fill('Design'),
  ...Array<string>(6).fill('Sales'), 'Customer Success', 'Customer Success',
  ...Array<string>(6).fill('Marketing'), 'Communications', 'Communications',
  ...Array<string>(6).fill('Finance'), 'Legal', 'Legal',
  ...Array<string>(8).fill('Human Resources'),
  ...Array<string>(6).fill('IT'), 'Customer Success', 'Customer Success',
];

/** Every department name the seed uses. */
export const DEPARTMENTS: readonly string[] = [EXECUTIVE_OFFICE, ...new Set(DEPARTMENTS_AT_DEPTH_2)];

const FIRST_DEPTH_2 = 1 + BRANCHING;

export function departmentOf(index: number): string {
  let i = index;
  while (i >= FIRST_DEPTH_2 + DEPARTMENTS_AT_DEPTH_2.length) i = parentIndex(i);
  return i < FIRST_DEPTH_2 ? EXECUTIVE_OFFICE : DEPARTMENTS_AT_DEPTH_2[i - FIRST_DEPTH_2]!;
}

/** Titles of people without reports, per department. */
const INDIVIDUAL_TITLES: Readonly<Record<string, readonly string[]>> = {
  [EXECUTIVE_OFFICE]: ['Executive Assistant', 'Chief of Staff', 'Business Analyst'],
  Operations: ['Operations Analyst', 'Program Manager', 'Business Operations Specialist', 'Supply Chain Analyst'],
  Facilities: ['Facilities Coordinator', 'Workplace Experience Specialist', 'Security Officer'],
  Procurement: ['Buyer', 'Procurement Specialist', 'Vendor Manager'],
  Engineering: ['Software Engineer', 'Software Engineer II', 'Senior Software Engineer', 'Principal Software Engineer', 'Site Reliability Engineer', 'QA Engineer', 'Data Engineer', 'Security Engineer'],
  Research: ['Research Scientist', 'Senior Researcher', 'Applied Scientist', 'Research Engineer'],
  'Product Management': ['Product Manager', 'Senior Product Manager', 'Technical Program Manager', 'Product Analyst'],
  Design: ['Product Designer', 'Senior UX Designer', 'UX Researcher', 'Content Designer'],
  Sales: ['Account Executive', 'Senior Account Executive', 'Sales Development Representative', 'Solutions Engineer', 'Account Manager'],
  'Customer Success': ['Customer Success Manager', 'Support Engineer', 'Technical Account Manager', 'Customer Support Specialist'],
  Marketing: ['Marketing Manager', 'Content Strategist', 'Product Marketing Manager', 'Digital Marketing Specialist', 'Event Manager'],
  Communications: ['Communications Manager', 'Public Relations Specialist', 'Internal Communications Lead'],
  Finance: ['Financial Analyst', 'Senior Accountant', 'Controller', 'Payroll Specialist', 'Tax Manager'],
  Legal: ['Corporate Counsel', 'Paralegal', 'Privacy Counsel', 'Contracts Manager'],
  'Human Resources': ['HR Business Partner', 'Recruiter', 'Talent Acquisition Specialist', 'Learning & Development Specialist', 'Compensation Analyst'],
  IT: ['Systems Administrator', 'IT Support Specialist', 'Network Engineer', 'Identity & Access Engineer', 'Cloud Architect'],
};

/** Job title of a seeded user. `draw` is a uniform value in [0, 1) from the user's own stream. */
export function titleOf(index: number, count: number, draw: number): string {
  const depth = depthOf(index);
  if (depth === 0) return 'Chief Executive Officer';
  if (depth === 1) return EXECUTIVES[index - 1]!;
  const department = departmentOf(index);
  if (hasReports(index, count)) {
    if (depth === 2) return `Vice President, ${department}`;
    if (depth === 3) return `Director, ${department}`;
    if (depth === 4) return `Senior Manager, ${department}`;
    return `${department} Team Lead`;
  }
  const titles = INDIVIDUAL_TITLES[department]!;
  return titles[Math.floor(draw * titles.length)]!;
}
