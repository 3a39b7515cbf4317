import { deterministicGuid } from '../ids.ts';
import { getCulture, getCultures, type Culture } from './cultures.ts';
import { GUEST_DOMAINS, OFFICES, type Office } from './offices.ts';
import { departmentOf, hasReports, parentIndex, titleOf } from './org-chart.ts';
import { createPrng, cumulative, weightedPick, type Prng } from './prng.ts';
import { localPart } from './romanize.ts';
import { ROLE_GLOBAL_ADMINISTRATOR, ROLE_USER_ADMINISTRATOR, type DirectoryUser } from './types.ts';

/**
 * The seeded users of one directory, generated on demand: user `index` is a pure function of
 * (seed, users, index), built from its own random stream, so reading user 417,000 costs the same
 * few microseconds as reading user 0 and nothing is kept between reads.
 */
export interface SeededUsers {
  readonly count: number;
  /** Object ID of seeded user `index`. */
  id(index: number): string;
  /** User principal name of seeded user `index`, as seeded (before any edit). */
  upn(index: number): string;
  /** Seeded user `index`, frozen (the directory's overlay holds edits, never this object). */
  user(index: number): DirectoryUser;
}

export interface SeededUsersOptions {
  seed: number;
  users: number;
  /** Default verified domain: members' UPNs and mail. */
  domain: string;
  /** `<name>.onmicrosoft.com`: guests' UPNs live there. */
  initialDomain: string;
  companyName: string;
}

/** Fixed accounts that demos and tests sign in with. */
const ADMIN_INDEX = 0;
const EMPLOYEE_INDEX = 1;
/** Extra administrators among the first users, so role-dependent paths have more than one case. */
const EXTRA_ROLES: ReadonlyMap<number, readonly string[]> = new Map([
  [2, [ROLE_USER_ADMINISTRATOR]],
  [12, [ROLE_GLOBAL_ADMINISTRATOR]],
]);
const isFixed = (index: number): boolean => index <= 2 || EXTRA_ROLES.has(index);

/**
 * The first CLEAN_UPNS users get plain `given.surname` user names, numbered on collision the way an
 * admin would ("anna.schmidt2"); this needs their names side by side, which is cheap for 1,000 users.
 * Later users always end in their own index ("anna.schmidt48213"): a surname never ends in a digit,
 * so the trailing number identifies the user and two users can never collide, with nothing in memory.
 * A head counter is at most CLEAN_UPNS − 2, a tail index at least CLEAN_UPNS, so the two never meet.
 */
export const CLEAN_UPNS = 1000;

/** Proportions of the seed (of all users, fixed accounts excepted). */
export const RATES = {
  disabled: 0.03,
  /** Guests sit on leaves of the org chart (they manage nobody), ~87% of users: 0.023 × 0.87 ≈ 2%. */
  guestAmongLeaves: 0.023,
  membersWithoutMail: 0.02,
  /** Members only; guests have no phone, which brings the total to ~10%. */
  membersWithoutPhone: 0.082,
  /** Members only; guests have no photo, which brings the total to ~25%. */
  membersWithoutPhoto: 0.235,
  /** Names longer than 64 characters (Latin-script cultures only). */
  longName: 0.004,
  /** People whose name comes from another culture than their office's (a Japanese engineer in London). */
  foreignName: 0.08,
} as const;

const SEEDED_FROM = Date.UTC(2014, 2, 3, 9, 0, 0);
const SEEDED_UNTIL = Date.UTC(2025, 5, 30, 17, 0, 0);
const DAY = 86_400_000;

const officeWeights = cumulative(OFFICES.map((o) => o.weight));

interface Person {
  guest: boolean;
  office: Office;
  culture: Culture;
  givenName: string;
  surname: string;
  displayName: string;
  guestDomain: string;
  prng: Prng;
}

const LETTERS = 'ABCDEFGHIJKLMNOPRSTVW';

function composeName(prng: Prng, culture: Culture, female: boolean, long: boolean): Pick<Person, 'givenName' | 'surname' | 'displayName'> {
  const givenPool = female ? culture.given.female : culture.given.male;
  const familyPool = female ? culture.family.female : culture.family.male;
  let givenName = prng.pick(givenPool);
  if (prng.chance(culture.hyphenatedGiven)) {
    const second = prng.pick(givenPool);
    if (second !== givenName && !second.includes(' ')) givenName = `${givenName}-${second}`;
  }
  let surname = prng.pick(familyPool);
  if (prng.chance(culture.twoSurnames)) surname = `${surname} ${prng.pick(familyPool)}`;
  else if (prng.chance(culture.hyphenatedSurname)) surname = `${surname}-${prng.pick(familyPool)}`;

  if (long && culture.order === 'given-first') {
    // Entra caps givenName and surname at 64 characters each and displayName at 256, so a name can
    // be long overall while each part still fits (https://learn.microsoft.com/graph/api/resources/user).
    for (let i = 0; i < 4; i++) {
      const next = `${givenName} ${prng.pick(givenPool)}`;
      if (next.length <= 40) givenName = next;
    }
    for (let i = 0; i < 12 && givenName.length + 1 + surname.length <= 64; i++) {
      const next = `${surname}${prng.pick(culture.longJoiners)}${prng.pick(familyPool)}`;
      if (next.length > 64) break;
      surname = next;
    }
  }

  let displayName: string;
  switch (culture.order) {
    case 'family-first':
      // Japanese HR systems often separate the parts with an ideographic space (U+3000).
      displayName = `${surname}${culture.key === 'ja' && prng.chance(0.25) ? '\u3000' : ' '}${givenName}`;
      break;
    case 'family-first-joined':
      displayName = `${surname}${givenName}`;
      break;
    default: {
      const doctor = prng.chance(culture.doctor) ? 'Dr. ' : '';
      if (prng.chance(culture.surnameComma)) displayName = `${surname}, ${doctor}${givenName}`;
      else {
        const middle = prng.chance(culture.middleInitial) ? ` ${prng.pick([...LETTERS])}.` : '';
        displayName = `${doctor}${givenName}${middle} ${surname}`;
      }
    }
  }
  return { givenName, surname, displayName };
}

/** ISO 8601 UTC to the second, as Graph writes DateTimeOffset values ("2019-02-07T21:53:13Z"). */
export const graphDateTime = (ms: number): string => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

export function createSeededUsers(options: SeededUsersOptions): SeededUsers {
  const { seed, users: count, domain, initialDomain, companyName } = options;
  if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`users must be a non-negative integer, got ${count}`);
  if (!Number.isFinite(seed)) throw new RangeError(`seed must be a finite number, got ${seed}`);
  const cultureKeys = [...getCultures().keys()];

  const idOf = (index: number): string => deterministicGuid('directory-user', seed, index);

  /** The part of a user that decides its names; upn() needs only this. */
  function person(index: number): Person {
    const prng = createPrng(seed, index);
    const guestDraw = prng.float();
    const guest = !isFixed(index) && !hasReports(index, count) && guestDraw < RATES.guestAmongLeaves;
    const office = weightedPick(prng, OFFICES, officeWeights);
    const culture = prng.chance(RATES.foreignName) ? getCulture(prng.pick(cultureKeys)) : getCulture(office.culture);
    const female = prng.chance(0.5);
    const long = index > 2 && prng.chance(RATES.longName);
    const names = composeName(prng, culture, female, long);
    const guestDomain = prng.pick(GUEST_DOMAINS);
    return { guest, office, culture, ...names, guestDomain, prng };
  }

  /**
   * The user-name part of `index` before the @ (for a guest: of their external address), without
   * head de-duplication. `reserve` leaves room for a numeric suffix within Entra's 64 characters.
   */
  function baseLocal(index: number, p: Person, reserve: number): string {
    const extra = p.guest ? `_${p.guestDomain}#EXT#`.length : 0;
    return localPart(p.givenName, p.surname, reserve + extra) ?? `user${index}`;
  }

  let headLocals: string[] | undefined;
  /** Clean, numbered-on-collision user names of the first CLEAN_UPNS users (built on first use). */
  function head(): string[] {
    if (headLocals) return headLocals;
    const taken = new Set<string>();
    const locals: string[] = [];
    for (let i = 0; i < Math.min(count, CLEAN_UPNS); i++) {
      if (i === ADMIN_INDEX || i === EMPLOYEE_INDEX) {
        locals.push(i === ADMIN_INDEX ? 'admin' : 'employee');
        continue;
      }
      const p = person(i);
      const base = baseLocal(i, p, String(CLEAN_UPNS).length);
      // Guests' names live in their own domain, so only the same name at the same domain collides.
      const key = (local: string): string => (p.guest ? `${local}@${p.guestDomain}` : local);
      let local = base;
      for (let n = 2; taken.has(key(local)); n++) local = `${base}${n}`;
      taken.add(key(local));
      locals.push(local);
    }
    return (headLocals = locals);
  }

  function localOf(index: number, p: Person): string {
    if (index < CLEAN_UPNS) return head()[index]!;
    const base = baseLocal(index, p, String(index).length);
    // `user<index>` already carries the index.
    return base === `user${index}` ? base : `${base}${index}`;
  }

  function addresses(index: number, p: Person): { upn: string; externalMail: string | null } {
    const local = localOf(index, p);
    // A guest's UPN is their address with @ replaced by _, then #EXT#@ and the tenant's initial domain:
    // https://learn.microsoft.com/entra/external-id/user-properties
    if (p.guest) return { upn: `${local}_${p.guestDomain}#EXT#@${initialDomain}`, externalMail: `${local}@${p.guestDomain}` };
    return { upn: `${local}@${domain}`, externalMail: null };
  }

  function user(index: number): DirectoryUser {
    if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`no seeded user ${index} (0..${count - 1})`);
    const p = person(index);
    const { prng, office, guest } = p;
    const { upn, externalMail } = addresses(index, p);
    const fixed = isFixed(index);
    const parent = parentIndex(index);

    const accountEnabled = fixed || !prng.chance(RATES.disabled);
    const withMail = fixed || !prng.chance(RATES.membersWithoutMail);
    const phoneDraw = prng.float();
    const photoDraw = prng.float();
    const titleDraw = prng.float();
    const noTitle = prng.chance(0.015);
    const site = prng.pick(office.sites);
    const floor = 1 + prng.int(office.floors);
    const officeDraw = prng.float();
    const languageDraw = prng.float();
    const businessPhone = prng.digits(prng.pick(office.businessPhones));
    const mobilePhone = prng.digits(prng.pick(office.mobilePhones));
    // Accounts appear as the company grows: later indices were created later, within a week's jitter.
    const created = SEEDED_FROM + (index / Math.max(count, 1)) * (SEEDED_UNTIL - SEEDED_FROM - 7 * DAY) + prng.float() * 7 * DAY;

    // Phones: ~8% of members none, then business only, mobile only, or both. The employee account has both.
    const phones = guest ? 'none' : index === EMPLOYEE_INDEX ? 'both' : phoneDraw < RATES.membersWithoutPhone ? 'none' : phoneDraw < 0.26 ? 'business' : phoneDraw < 0.35 ? 'mobile' : 'both';
    const member = !guest;
    const title = member ? titleOf(index, count, titleDraw) : null;
    const isManager = hasReports(index, count);

    const result: DirectoryUser = {
      id: idOf(index),
      displayName: p.displayName,
      givenName: p.givenName,
      surname: p.surname,
      mail: guest ? externalMail : withMail ? upn : null,
      userPrincipalName: upn,
      jobTitle: member && (fixed || isManager || !noTitle) ? title : null,
      department: member ? departmentOf(index) : null,
      companyName: member ? companyName : null,
      officeLocation:
        member && officeDraw >= 0.05 ? (office.floorStyle === 'F' ? `${site} ${floor}F` : `${site}, Floor ${floor}`) : null,
      // Graph's businessPhones is a collection, but only one number can be set:
      // https://learn.microsoft.com/graph/api/resources/user
      businessPhones: Object.freeze(phones === 'business' || phones === 'both' ? [businessPhone] : []) as string[],
      mobilePhone: phones === 'mobile' || phones === 'both' ? mobilePhone : null,
      preferredLanguage: member ? (languageDraw < 0.15 ? null : languageDraw < 0.23 ? 'en-US' : office.language) : null,
      city: member ? office.city : null,
      country: member ? office.country : null,
      usageLocation: member ? office.usageLocation : null,
      employeeId: member ? String(100000 + index) : null,
      accountEnabled,
      userType: guest ? 'Guest' : 'Member',
      createdDateTime: graphDateTime(created),
      // Guests get no manager: they report to nobody in the tenant that invited them.
      managerId: guest || parent < 0 ? null : idOf(parent),
      roles: Object.freeze(index === ADMIN_INDEX ? [ROLE_GLOBAL_ADMINISTRATOR] : [...(EXTRA_ROLES.get(index) ?? [])]) as string[],
      hasPhoto: member && (index === EMPLOYEE_INDEX || photoDraw >= RATES.membersWithoutPhoto),
      photoVersion: 1,
    };
    return Object.freeze(result);
  }

  return {
    count,
    id: idOf,
    upn(index) {
      if (!Number.isInteger(index) || index < 0 || index >= count) throw new RangeError(`no seeded user ${index} (0..${count - 1})`);
      return addresses(index, person(index)).upn;
    },
    user,
  };
}
