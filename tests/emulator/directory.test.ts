import { describe, expect, it } from 'vitest';
import { createClock, type Clock } from '../../emulator/src/clock.ts';
import { isGuid } from '../../emulator/src/ids.ts';
import {
  createDirectory,
  DirectoryError,
  ROLE_GLOBAL_ADMINISTRATOR,
  ROLE_USER_ADMINISTRATOR,
  type Directory,
  type DirectoryErrorCode,
  type DirectoryOptions,
  type DirectoryUser,
} from '../../emulator/src/directory/index.ts';

const DOMAIN = 'lakeside.example';
const INITIAL_DOMAIN = 'lakesideworks.onmicrosoft.com';
const T0 = Date.UTC(2025, 0, 15, 12, 0, 0);

function directory(overrides: Partial<DirectoryOptions> = {}): Directory {
  return createDirectory({
    tenantId: '3f2a9c1e-5b7d-4e8f-9a0b-1c2d3e4f5a6b',
    domain: DOMAIN,
    initialDomain: INITIAL_DOMAIN,
    companyName: 'Lakeside Works',
    seed: 42,
    users: 100,
    clock: createClock(() => T0),
    ...overrides,
  });
}

const all = (d: Directory): DirectoryUser[] => [...d.iterate()].map((entry) => entry.user);

/** Built once: generating 20,000 users takes ~150 ms. */
let big: { directory: Directory; users: DirectoryUser[] } | undefined;
const tenThousand = () => {
  if (!big) {
    const d = directory({ users: 10_000 });
    big = { directory: d, users: all(d) };
  }
  return big;
};

function expectDirectoryError(fn: () => unknown, code: DirectoryErrorCode, message?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(DirectoryError);
  expect((caught as DirectoryError).code).toBe(code);
  if (message) expect((caught as DirectoryError).message).toMatch(message);
}

describe('seeded directory: determinism', () => {
  it('gives the same users, IDs and managers for the same seed on every run', () => {
    const a = directory({ users: 2_000 });
    const b = directory({ users: 2_000 });
    expect(all(a)).toEqual(all(b));
    expect(a.getById(a.atPosition(1_999)!.id)).toEqual(b.atPosition(1_999));
  });

  it('gives different users for a different seed', () => {
    const a = all(directory({ seed: 42 }));
    const b = all(directory({ seed: 43 }));
    expect(a.map((u) => u.id)).not.toEqual(b.map((u) => u.id));
    const sameNames = a.filter((u, i) => u.displayName === b[i]!.displayName).length;
    expect(sameNames).toBeLessThan(10);
  });

  it('generates any position on demand, without generating the ones before it', () => {
    const d = directory({ users: 500_000 });
    const started = performance.now();
    const last = d.atPosition(499_999)!;
    expect(performance.now() - started).toBeLessThan(50);
    expect(last.userPrincipalName).toMatch(/499999@lakeside\.example$|^user499999@|#EXT#@/);
    expect(d.size).toBe(500_000);
    expect(d.atPosition(500_000)).toBeUndefined();
    expect(d.atPosition(-1)).toBeUndefined();
    expect(d.atPosition(1.5)).toBeUndefined();
  });

  it.each([0, 1, 2, 3])('handles a directory of %i users', (users) => {
    const d = directory({ users });
    expect(d.size).toBe(users);
    expect(all(d)).toHaveLength(users);
    expect(d.getByUpn(`admin@${DOMAIN}`)?.id).toBe(users > 0 ? d.atPosition(0)!.id : undefined);
  });
});

describe('seeded directory: fixed accounts', () => {
  const d = directory();
  it('makes user 0 the Global Administrator admin@ at the top of the org chart', () => {
    const admin = d.atPosition(0)!;
    expect(admin.userPrincipalName).toBe(`admin@${DOMAIN}`);
    expect(admin.roles).toEqual([ROLE_GLOBAL_ADMINISTRATOR]);
    expect(admin.managerId).toBeNull();
    expect(admin.givenName).toBeTruthy();
    expect(admin.surname).toBeTruthy();
    expect(admin.displayName).not.toMatch(/admin/i);
  });

  it('makes user 1 a plain, enabled employee@ with mail, phone and photo', () => {
    const employee = d.atPosition(1)!;
    expect(employee).toMatchObject({ userPrincipalName: `employee@${DOMAIN}`, mail: `employee@${DOMAIN}`, accountEnabled: true, userType: 'Member', roles: [], hasPhoto: true });
    expect(employee.businessPhones).toHaveLength(1);
    expect(employee.mobilePhone).toBeTruthy();
  });

  it('has more administrators among the first 20 users, all enabled members with mail', () => {
    const first = all(d).slice(0, 20);
    expect(first[2]!.roles).toEqual([ROLE_USER_ADMINISTRATOR]);
    const admins = first.filter((u) => u.roles.length > 0);
    expect(admins.length).toBeGreaterThanOrEqual(3);
    for (const admin of admins) expect(admin).toMatchObject({ accountEnabled: true, userType: 'Member', mail: expect.stringContaining('@') });
  });
});

describe('seeded directory: proportions of 10,000 users', () => {
  const members = (users: DirectoryUser[]) => users.filter((u) => u.userType === 'Member');
  it.each<[string, (users: DirectoryUser[]) => number, number, number]>([
    ['disabled accounts', (us) => us.filter((u) => !u.accountEnabled).length / us.length, 0.03, 0.008],
    ['guests', (us) => us.filter((u) => u.userType === 'Guest').length / us.length, 0.02, 0.006],
    ['members without mail', (us) => members(us).filter((u) => u.mail === null).length / members(us).length, 0.02, 0.006],
    ['users without any phone', (us) => us.filter((u) => u.businessPhones.length === 0 && u.mobilePhone === null).length / us.length, 0.1, 0.015],
    ['users without photo', (us) => us.filter((u) => !u.hasPhoto).length / us.length, 0.25, 0.02],
  ])('%s ≈ %d', (_name, measure, expected, tolerance) => {
    expect(Math.abs(measure(tenThousand().users) - expected)).toBeLessThanOrEqual(tolerance);
  });

  it('starts every photo at version 1 and dates every account between 2014 and mid-2025, later users later', () => {
    const { users } = tenThousand();
    expect(users.every((u) => u.photoVersion === 1)).toBe(true);
    for (const u of users) expect(u.createdDateTime).toMatch(/^20(1[4-9]|2[0-5])-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(users[9_999]!.createdDateTime > users[100]!.createdDateTime).toBe(true);
  });

  it('gives guests an external address and the #EXT# UPN, and no company profile', () => {
    const guests = tenThousand().users.filter((u) => u.userType === 'Guest');
    expect(guests.length).toBeGreaterThan(0);
    for (const guest of guests) {
      // https://learn.microsoft.com/entra/external-id/user-properties
      expect(guest.userPrincipalName).toBe(`${guest.mail!.replace('@', '_')}#EXT#@${INITIAL_DOMAIN}`);
      expect(guest).toMatchObject({ companyName: null, department: null, employeeId: null, managerId: null });
    }
  });

  it('fills the profile fields of members from a small realistic set', () => {
    const ms = members(tenThousand().users);
    expect(new Set(ms.map((u) => u.department)).size).toBeGreaterThanOrEqual(12);
    expect(new Set(ms.map((u) => u.department)).size).toBeLessThanOrEqual(20);
    expect(new Set(ms.map((u) => u.country)).size).toBeGreaterThanOrEqual(15);
    expect(new Set(ms.map((u) => u.preferredLanguage)).size).toBeGreaterThanOrEqual(15);
    expect(ms.every((u) => u.companyName === 'Lakeside Works' && /^[A-Z]{2}$/.test(u.usageLocation ?? '') && u.employeeId)).toBe(true);
    expect(new Set(ms.map((u) => u.employeeId)).size).toBe(ms.length);
    expect(ms.filter((u) => u.jobTitle).length / ms.length).toBeGreaterThan(0.95);
    expect(ms.filter((u) => u.officeLocation).length / ms.length).toBeGreaterThan(0.9);
  });
});

describe('seeded directory: names, user names and phones', () => {
  it.each<[string, (u: DirectoryUser) => boolean]>([
    ['accented Latin (José, Müller)', (u) => /[À-ÖØ-öø-ÿĀ-ž]/.test(u.displayName)],
    ['Danish letters (Ærø)', (u) => /[æøåÆØÅ]/.test(u.displayName)],
    ['Japanese kana', (u) => /[\p{Script=Hiragana}\p{Script=Katakana}]/u.test(u.displayName)],
    ['Han characters (日本語, 中文)', (u) => /\p{Script=Han}/u.test(u.displayName)],
    ['Hangul', (u) => /\p{Script=Hangul}/u.test(u.displayName)],
    ['Greek', (u) => /\p{Script=Greek}/u.test(u.displayName)],
    ['Cyrillic', (u) => /\p{Script=Cyrillic}/u.test(u.displayName)],
    ['Arabic', (u) => /\p{Script=Arabic}/u.test(u.displayName)],
    ["apostrophes (O'Connell, D'Amico)", (u) => /\b[OD]'[A-Z]/.test(u.surname ?? '')],
    ['hyphenated given names (Anne-Marie)', (u) => /\p{L}-\p{L}/u.test(u.givenName ?? '')],
    ['hyphenated surnames (Müller-Lüdenscheidt)', (u) => /\p{L}-\p{L}/u.test(u.surname ?? '')],
    ['display names longer than 64 characters', (u) => u.displayName.length > 64],
    ['"Surname, Given" display names', (u) => u.displayName === `${u.surname}, ${u.givenName}`],
    ['Japanese ideographic space', (u) => u.displayName.includes('\u3000')],
  ])('includes %s', (_name, test) => {
    expect(tenThousand().users.filter(test).length).toBeGreaterThan(0);
  });

  it('keeps givenName and surname within Entra’s 64 characters even for long names', () => {
    for (const u of tenThousand().users) {
      expect(u.givenName!.length).toBeLessThanOrEqual(64);
      expect(u.surname!.length).toBeLessThanOrEqual(64);
    }
  });

  it('puts the family name first for Chinese, Japanese and Korean names', () => {
    const cjk = tenThousand().users.filter((u) => /^[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]+$/u.test(u.givenName!));
    expect(cjk.length).toBeGreaterThan(100);
    for (const u of cjk) expect(u.displayName.startsWith(u.surname!)).toBe(true);
  });

  it('gives 20,000 users unique UPNs that Entra would accept', () => {
    const users = all(directory({ users: 20_000 }));
    expect(new Set(users.map((u) => u.userPrincipalName.toLowerCase())).size).toBe(users.length);
    for (const u of users) {
      // https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy#username-policies
      const [local, host] = u.userPrincipalName.split('@') as [string, string];
      expect(local).toMatch(/^[A-Za-z0-9'.\-_!#^~]+$/);
      expect(local.length).toBeLessThanOrEqual(64);
      expect(local).not.toMatch(/^\.|\.\.|\.$/);
      expect(host).toBe(u.userType === 'Guest' ? INITIAL_DOMAIN : DOMAIN);
      if (u.mail && u.userType === 'Member') expect(u.mail).toBe(u.userPrincipalName);
    }
  });

  it('folds accents and transliterates Greek and Cyrillic into user names', () => {
    // Users 0 and 1 are admin@ and employee@ whatever their names.
    const users = tenThousand().users.slice(2);
    const folded = users.find((u) => u.userType === 'Member' && /[éüö]/.test(u.givenName!) && /^[a-z]/.test(u.userPrincipalName))!;
    expect(folded.userPrincipalName).not.toMatch(/[éüö]/);
    const greek = users.find((u) => u.userType === 'Member' && /^\p{Script=Greek}+$/u.test(u.givenName!))!;
    expect(greek.userPrincipalName).toMatch(/^[a-z'-]+\.[a-z'-]+\d*@/);
    const cyrillic = users.find((u) => u.userType === 'Member' && /^\p{Script=Cyrillic}+$/u.test(u.givenName!))!;
    expect(cyrillic.userPrincipalName).toMatch(/^[a-z'-]+\.[a-z'-]+\d*@/);
  });

  it('gives the first users plain given.surname names and later users their index', () => {
    const { users } = tenThousand();
    const plain = users.slice(2, 1000).filter((u) => u.userType === 'Member' && /^[a-z'-]+\.[a-z'-]+@/.test(u.userPrincipalName));
    expect(plain.length).toBeGreaterThan(600);
    users.slice(1000).forEach((u, i) => expect(u.userPrincipalName.split('@')[0]).toMatch(new RegExp(`\\D${i + 1000}(_|$)`)));
  });

  it.each([
    ['US E.164 with spaces', /^\+1 425 555 01\d\d$/],
    ['US national', /^\(425\) 555-01\d\d$/],
    ['UK', /^\+44 20 7946 0\d{3}$/],
    ['Germany', /^\+49 30 \d{8}$/],
    ['Japan', /^\+81 3-\d{4}-\d{4}$/],
    ['Brazil', /^\+55 11 \d{4}-\d{4}$/],
    ['India', /^\+91 80 \d{4} \d{4}$/],
  ])('writes %s business phones', (_name, format) => {
    expect(tenThousand().users.some((u) => u.businessPhones.some((p) => format.test(p)))).toBe(true);
  });

  it('gives each user at most one business phone', () => {
    expect(tenThousand().users.every((u) => u.businessPhones.length <= 1)).toBe(true);
  });
});

describe('seeded directory: org chart', () => {
  it('forms one tree under user 0: every manager exists and has a lower position', () => {
    const { directory: d } = tenThousand();
    const positions = new Map([...d.iterate()].map(({ position, user }) => [user.id, position]));
    for (const { position, user } of d.iterate()) {
      if (position === 0) {
        expect(user.managerId).toBeNull();
        continue;
      }
      if (user.userType === 'Guest') {
        expect(user.managerId).toBeNull();
        continue;
      }
      expect(user.managerId).not.toBeNull();
      const managerPosition = positions.get(user.managerId!);
      expect(managerPosition).toBeDefined();
      expect(managerPosition!).toBeLessThan(position);
    }
  });

  it('lists direct reports consistently with managerId, 6–10 per manager', () => {
    const { directory: d, users } = tenThousand();
    let reports = 0;
    const sizes: number[] = [];
    for (const user of users) {
      const direct = d.directReports(user.id);
      for (const report of direct) expect(report.managerId).toBe(user.id);
      if (direct.length > 0) sizes.push(direct.length);
      reports += direct.length;
    }
    expect(reports).toBe(users.filter((u) => u.managerId !== null).length);
    const average = sizes.reduce((a, b) => a + b, 0) / sizes.length;
    expect(average).toBeGreaterThanOrEqual(6);
    expect(average).toBeLessThanOrEqual(10);
  });

  it('keeps a department along a reporting line below the executives', () => {
    const { directory: d, users } = tenThousand();
    for (const user of users.slice(73, 400)) {
      if (user.userType === 'Guest') continue;
      expect(d.getById(user.managerId!)!.department).toBe(user.department);
    }
  });
});

describe('seeded directory: lookups', () => {
  const d = directory({ users: 5_000 });
  const sample = d.atPosition(4_321)!;

  it('finds users by object ID, in any letter case', () => {
    expect(d.getById(sample.id)).toEqual(sample);
    expect(d.getById(sample.id.toUpperCase())).toEqual(sample);
  });

  it.each(['not-a-guid', '00000000-0000-4000-8000-000000000000', ''])('finds nobody for the ID %j', (id) => {
    expect(d.getById(id)).toBeUndefined();
  });

  it('finds users by UPN case-insensitively, as Entra matches them', () => {
    expect(d.getByUpn(sample.userPrincipalName)).toEqual(sample);
    expect(d.getByUpn(sample.userPrincipalName.toUpperCase())).toEqual(sample);
    expect(d.getByUpn(`ADMIN@${DOMAIN.toUpperCase()}`)?.id).toBe(d.atPosition(0)!.id);
    expect(d.getByUpn(`nobody@${DOMAIN}`)).toBeUndefined();
    const guest = all(d).find((u) => u.userType === 'Guest')!;
    expect(d.getByUpn(guest.userPrincipalName.toLowerCase())).toEqual(guest);
  });

  it('hands out immutable users: changes go through update()', () => {
    expect(() => {
      (sample as { displayName: string }).displayName = 'Mallory';
    }).toThrow(TypeError);
    expect(() => sample.businessPhones.push('+1 425 555 0100')).toThrow(TypeError);
  });
});

describe('directory changes', () => {
  const setup = (users = 100) => {
    let now = T0;
    const clock: Clock = { now: () => now, advance: (ms) => void (now += ms) };
    return { d: directory({ users, clock }), clock };
  };

  it('adds a user with defaults, a new position and a derived, unique UPN', () => {
    const { d } = setup();
    const first = d.add({ displayName: 'José Müller-Lüdenscheidt', givenName: 'José', surname: 'Müller-Lüdenscheidt' });
    const second = d.add({ displayName: 'José Müller-Lüdenscheidt', givenName: 'José', surname: 'Müller-Lüdenscheidt' });
    expect(isGuid(first.id)).toBe(true);
    expect(first).toMatchObject({
      userPrincipalName: `jose.muller-ludenscheidt@${DOMAIN}`,
      mail: `jose.muller-ludenscheidt@${DOMAIN}`,
      accountEnabled: true,
      userType: 'Member',
      companyName: 'Lakeside Works',
      managerId: null,
      roles: [],
      hasPhoto: false,
      photoVersion: 1,
      createdDateTime: '2025-01-15T12:00:00Z',
    });
    expect(second.userPrincipalName).toBe(`jose.muller-ludenscheidt2@${DOMAIN}`);
    expect(d.size).toBe(102);
    expect(d.positionLimit).toBe(102);
    expect(d.atPosition(100)).toEqual(first);
    expect(d.getById(second.id)).toEqual(second);
    expect(d.getByUpn(second.userPrincipalName.toUpperCase())).toEqual(second);
    expect([...d.iterate(100)].map((e) => e.position)).toEqual([100, 101]);
    expect([...d.changesSince(0)].map((c) => [c.seq, c.kind, c.id])).toEqual([
      [1, 'upserted', first.id],
      [2, 'upserted', second.id],
    ]);
  });

  it('adds a guest with the #EXT# UPN of their address', () => {
    const { d } = setup();
    const guest = d.add({ displayName: 'Jane Doe', userType: 'Guest', mail: 'jane.doe@partner.example' });
    expect(guest.userPrincipalName).toBe(`jane.doe_partner.example#EXT#@${INITIAL_DOMAIN}`);
    expect(guest.companyName).toBeNull();
  });

  it.each<[string, () => unknown, DirectoryErrorCode]>([
    ['no displayName', () => setup().d.add({} as { displayName: string }), 'invalidUser'],
    ['an empty displayName', () => setup().d.add({ displayName: '  ' }), 'invalidUser'],
    ['an unknown property', () => setup().d.add({ displayName: 'A', favouriteColour: 'teal' } as never), 'invalidUser'],
    ['a read-only property', () => setup().d.add({ displayName: 'A', id: 'x' } as never), 'invalidUser'],
    ['a wrong type', () => setup().d.add({ displayName: 'A', accountEnabled: 'yes' } as never), 'invalidUser'],
    ['two business phones', () => setup().d.add({ displayName: 'A', businessPhones: ['1', '2'] }), 'invalidUser'],
    ['an unverified UPN domain', () => setup().d.add({ displayName: 'A', userPrincipalName: 'a@gmail.com' }), 'invalidUser'],
    ['a UPN in use', () => setup().d.add({ displayName: 'A', userPrincipalName: `Admin@${DOMAIN}` }), 'upnConflict'],
    ['an unknown manager', () => setup().d.add({ displayName: 'A', managerId: '00000000-0000-4000-8000-000000000000' }), 'invalidManager'],
  ])('refuses to add a user with %s', (_name, fn, code) => {
    expectDirectoryError(fn, code);
  });

  it('updates seeded and added users, and records each change with the clock time', () => {
    const { d, clock } = setup();
    const seeded = d.atPosition(7)!;
    clock.advance(1_000);
    const renamed = d.update(seeded.id, { displayName: 'Anne-Marie O’Brien', jobTitle: null, userPrincipalName: `anne-marie.obrien@${DOMAIN}` });
    expect(renamed).toMatchObject({ id: seeded.id, displayName: 'Anne-Marie O’Brien', jobTitle: null, createdDateTime: seeded.createdDateTime });
    expect(d.getById(seeded.id)).toEqual(renamed);
    expect(d.atPosition(7)).toEqual(renamed);
    expect(d.getByUpn(`ANNE-MARIE.OBRIEN@${DOMAIN}`)).toEqual(renamed);
    expect(d.getByUpn(seeded.userPrincipalName)).toBeUndefined();
    // The change names the properties whose value changed (seeded user 7 had a job title).
    expect([...d.changesSince(0)]).toEqual([
      { seq: 1, id: seeded.id, kind: 'upserted', at: T0 + 1_000, fields: ['displayName', 'userPrincipalName', 'jobTitle'] },
    ]);
    // The freed UPN can be taken by someone else.
    const other = d.add({ displayName: 'Newcomer', userPrincipalName: seeded.userPrincipalName });
    expect(d.getByUpn(seeded.userPrincipalName)?.id).toBe(other.id);
  });

  it('throws userNotFound, naming the ID, when updating a user that does not exist', () => {
    const { d } = setup();
    expectDirectoryError(() => d.update('00000000-0000-4000-8000-000000000000', { jobTitle: 'x' }), 'userNotFound', /00000000-0000-4000-8000-000000000000/);
    expectDirectoryError(() => d.update('nobody', { jobTitle: 'x' }), 'userNotFound');
    expect(d.seq).toBe(0);
  });

  it('refuses a UPN another user has', () => {
    const { d } = setup();
    expectDirectoryError(() => d.update(d.atPosition(5)!.id, { userPrincipalName: `EMPLOYEE@${DOMAIN}` }), 'upnConflict');
  });

  it('moves a report to another manager, in both getById and directReports', () => {
    const { d } = setup();
    const report = d.atPosition(20)!;
    const oldManager = d.getById(report.managerId!)!;
    const newManager = d.atPosition(9)!;
    d.update(report.id, { managerId: newManager.id.toUpperCase() });
    expect(d.getById(report.id)!.managerId).toBe(newManager.id);
    expect(d.directReports(oldManager.id).map((u) => u.id)).not.toContain(report.id);
    expect(d.directReports(newManager.id).map((u) => u.id)).toContain(report.id);
    // Back to the seeded manager.
    d.update(report.id, { managerId: oldManager.id });
    expect(d.directReports(oldManager.id).map((u) => u.id)).toContain(report.id);
    expect(d.directReports(newManager.id).map((u) => u.id)).not.toContain(report.id);
    // An added user reporting to a seeded one.
    const hire = d.add({ displayName: 'New Hire', managerId: oldManager.id });
    expect(d.directReports(oldManager.id).at(-1)?.id).toBe(hire.id);
  });

  it('refuses a manager that would make a cycle', () => {
    const { d } = setup();
    const top = d.atPosition(1)!;
    const below = d.atPosition(9)!; // reports to 1
    const further = d.atPosition(73)!; // reports to 9
    expectDirectoryError(() => d.update(top.id, { managerId: further.id }), 'invalidManager');
    expectDirectoryError(() => d.update(below.id, { managerId: below.id }), 'invalidManager');
  });

  it('bumps photoVersion when a photo is set or removed', () => {
    const { d } = setup();
    const withPhoto = d.atPosition(1)!;
    expect(d.update(withPhoto.id, { hasPhoto: true }).photoVersion).toBe(2);
    expect(d.update(withPhoto.id, { hasPhoto: false }).photoVersion).toBe(3);
    expect(d.update(withPhoto.id, { hasPhoto: false }).photoVersion).toBe(3);
    expect(d.update(withPhoto.id, { jobTitle: 'CEO' }).photoVersion).toBe(3);
  });

  it('soft-deletes a user: gone from reads, kept in deleted items, restorable', () => {
    const { d } = setup();
    const user = d.atPosition(3)!;
    const reports = d.directReports(user.id);
    expect(reports.length).toBeGreaterThan(0);
    d.remove(user.id);
    expect(d.getById(user.id)).toBeUndefined();
    expect(d.getByUpn(user.userPrincipalName)).toBeUndefined();
    expect(d.atPosition(3)).toBeUndefined();
    expect(d.getDeleted(user.id)).toEqual(user);
    expect(d.size).toBe(99);
    expect([...d.iterate()].map((e) => e.position)).not.toContain(3);
    expect(d.directReports(user.id)).toEqual([]);
    // A report's manager that no longer exists reads as no manager.
    expect(d.getById(reports[0]!.id)!.managerId).toBeNull();
    expectDirectoryError(() => d.update(user.id, { jobTitle: 'x' }), 'userNotFound');
    expectDirectoryError(() => d.remove(user.id), 'userNotFound');

    expect(d.restore(user.id)).toEqual(user);
    expect(d.getById(user.id)).toEqual(user);
    expect(d.getDeleted(user.id)).toBeUndefined();
    expect(d.getById(reports[0]!.id)!.managerId).toBe(user.id);
    expect(d.size).toBe(100);
    // Each report's manager changed twice (to none, and back): logged in the same mutations.
    const reportsChanged = reports.map(() => 'upserted');
    expect([...d.changesSince(0)].map((c) => c.kind)).toEqual(['deleted', ...reportsChanged, 'upserted', ...reportsChanged]);
  });

  it('purges a user permanently, directly or from deleted items', () => {
    const { d } = setup();
    const direct = d.atPosition(4)!;
    const directReports = d.directReports(direct.id);
    const later = d.add({ displayName: 'Short Stay' });
    d.remove(direct.id, { permanent: true });
    d.remove(later.id);
    d.remove(later.id, { permanent: true });
    for (const user of [direct, later]) {
      expect(d.getById(user.id)).toBeUndefined();
      expect(d.getDeleted(user.id)).toBeUndefined();
      expectDirectoryError(() => d.restore(user.id), 'userNotFound');
      expectDirectoryError(() => d.remove(user.id, { permanent: true }), 'userNotFound');
    }
    expect(d.atPosition(100)).toBeUndefined();
    expect(d.size).toBe(99);
    expect(d.positionLimit).toBe(101);
    expect([...d.changesSince(0)].map((c) => [c.kind, c.id])).toEqual([
      ['upserted', later.id],
      ['purged', direct.id],
      // A purged manager's reports have no manager any more.
      ...directReports.map((report) => ['upserted', report.id]),
      ['deleted', later.id],
      ['purged', later.id],
    ]);
  });

  it('refuses to restore a user whose UPN was taken meanwhile', () => {
    const { d } = setup();
    const user = d.atPosition(6)!;
    d.remove(user.id);
    d.add({ displayName: 'Taker', userPrincipalName: user.userPrincipalName });
    expectDirectoryError(() => d.restore(user.id), 'upnConflict');
  });

  it('numbers changes 1, 2, 3… and replays those after a sequence number, oldest first', () => {
    const { d, clock } = setup();
    // Leaves of the org chart: removing one logs no changes of its reports.
    const ids = [d.atPosition(90)!.id, d.atPosition(91)!.id, d.atPosition(92)!.id];
    expect(ids.flatMap((id) => d.directReports(id))).toEqual([]);
    for (const id of ids) {
      clock.advance(500);
      d.update(id, { city: 'Reykjavík' });
    }
    d.remove(ids[0]!);
    expect(d.seq).toBe(4);
    const changes = [...d.changesSince(0)];
    expect(changes.map((c) => c.seq)).toEqual([1, 2, 3, 4]);
    expect(changes.map((c) => c.at)).toEqual([T0 + 500, T0 + 1_000, T0 + 1_500, T0 + 1_500]);
    expect([...d.changesSince(2)].map((c) => c.seq)).toEqual([3, 4]);
    expect([...d.changesSince(4)]).toEqual([]);
    expect([...d.changesSince(99)]).toEqual([]);
    expect([...d.changesSince(-5)]).toHaveLength(4);
  });

  it('records which properties an update changed, in Graph names, and nothing for a no-op', () => {
    const { d } = setup();
    const user = d.atPosition(30)!;
    const newManager = d.atPosition(2)!;
    d.update(user.id, { jobTitle: 'Delta Analyst', accountEnabled: user.accountEnabled, city: user.city, businessPhones: [...user.businessPhones] });
    d.update(user.id, { managerId: newManager.id, accountEnabled: false });
    d.update(user.id, { hasPhoto: !user.hasPhoto });
    d.update(user.id, { roles: [ROLE_USER_ADMINISTRATOR] });
    d.update(user.id, { jobTitle: 'Delta Analyst' });
    expect([...d.changesSince(0)].map((c) => [c.fields, c.previousManagerId])).toEqual([
      [['jobTitle'], undefined],
      [['accountEnabled', 'manager'], user.managerId],
      [['photo'], undefined],
      [['roles'], undefined],
      [[], undefined],
    ]);
  });

  it('records a created or restored user with id first and every property it has', () => {
    const { d } = setup();
    const manager = d.atPosition(5)!;
    const hire = d.add({ displayName: 'New Hire', managerId: manager.id });
    const loner = d.add({ displayName: 'Loner' });
    const [created, alone] = [...d.changesSince(0)];
    expect(created!.fields).toEqual(expect.arrayContaining(['id', 'displayName', 'jobTitle', 'accountEnabled', 'manager']));
    expect(created!.fields![0]).toBe('id');
    expect(created!.previousManagerId).toBeNull();
    expect(alone!.fields).not.toContain('manager');
    expect(alone!.id).toBe(loner.id);
    d.remove(hire.id);
    d.restore(hire.id);
    const restored = [...d.changesSince(3)];
    expect(restored.map((c) => [c.kind, c.id, c.fields?.[0]])).toEqual([['upserted', hire.id, 'id']]);
  });

  it("logs each direct report's manager change, with the old manager, when a manager is deleted, purged or restored", () => {
    const { d } = setup();
    const manager = d.atPosition(12)!;
    const reports = d.directReports(manager.id).map((u) => u.id);
    expect(reports.length).toBeGreaterThan(0);
    d.remove(manager.id);
    const afterDelete = [...d.changesSince(0)];
    expect(afterDelete.map((c) => [c.kind, c.id, c.fields, c.previousManagerId])).toEqual([
      ['deleted', manager.id, undefined, undefined],
      ...reports.map((id) => ['upserted', id, ['manager'], manager.id]),
    ]);
    // Purging it from deleted items changes no report again; restoring gives them their manager back.
    d.restore(manager.id);
    const afterRestore = [...d.changesSince(d.seq - reports.length - 1)];
    expect(afterRestore.slice(1).map((c) => [c.id, c.fields, c.previousManagerId])).toEqual(reports.map((id) => [id, ['manager'], null]));
    d.remove(manager.id);
    const before = d.seq;
    d.remove(manager.id, { permanent: true });
    expect([...d.changesSince(before)].map((c) => c.kind)).toEqual(['purged']);
    // Purging a live manager orphans its reports in one go.
    const other = d.atPosition(11)!;
    const otherReports = d.directReports(other.id).map((u) => u.id);
    const mark = d.seq;
    d.remove(other.id, { permanent: true });
    expect([...d.changesSince(mark)].map((c) => [c.kind, c.id, c.previousManagerId])).toEqual([
      ['purged', other.id, undefined],
      ...otherReports.map((id) => ['upserted', id, other.id]),
    ]);
    for (const id of otherReports) expect(d.getById(id)!.managerId).toBeNull();
    // Clearing the manager of a report whose manager is already gone is no change.
    d.update(otherReports[0]!, { managerId: null });
    expect([...d.changesSince(d.seq - 1)][0]!.fields).toEqual([]);
  });

  it('keeps edits of a 500,000-user directory without generating it', () => {
    const d = directory({ users: 500_000 });
    const far = d.atPosition(480_000)!;
    const updated = d.update(far.id, { department: 'Research' });
    expect(d.getById(far.id)).toEqual(updated);
    expect(d.getByUpn(far.userPrincipalName)).toEqual(updated);
    expect([...d.iterate(479_999)].slice(0, 2).map((e) => e.user.department)).toEqual([d.atPosition(479_999)!.department, 'Research']);
  });
});
