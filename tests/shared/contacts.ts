import type { Contact } from '../../shared/contact.ts';

/** A contact with every field null or empty except those given. */
export function contact(fields: Partial<Contact> & { id: string }): Contact {
  return {
    displayName: null,
    givenName: null,
    surname: null,
    mail: null,
    userPrincipalName: null,
    jobTitle: null,
    department: null,
    companyName: null,
    officeLocation: null,
    businessPhones: [],
    mobilePhone: null,
    accountEnabled: true,
    userType: 'Member',
    managerId: null,
    ...fields,
  };
}

/** mulberry32: a small deterministic PRNG, so generated directories are the same on every run. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const GIVEN = ['Anna', 'José', 'Jürgen', 'Zoë', 'Søren', 'Åsa', 'Ægir', 'Françoise', 'Chloé', 'Nguyễn', 'Mỹ Phương', 'Łukasz', 'Björn', 'Ana', 'Annabel', 'Hannah', 'Jean-Pierre', "D'Arcy", 'Ole', 'Renée', 'Mia', 'Noah', 'Liam', 'Olga', 'Дмитрий', 'Νίκος', '太郎', '花子', '민수', 'محمد', 'Ιωάννα', 'Straße'];
const FAMILY = ['Schmidt', 'Müller', 'Mueller', 'García', 'Østergaard', 'Öztürk', "O'Brien", 'Smith', 'Ångström', 'Lefèvre', 'Trần', 'Kowalski', 'Dvořák', 'Nowak', 'Иванов', 'Παπαδόπουλος', '山田', '佐藤', '김', 'الحسن', 'de Bruyn', 'van der Berg', 'Weiß', 'Anders', 'Schneider', 'Æbelø'];
const TITLES = ['Software Engineer', 'Senior Engineer', 'Account Executive', 'Sales Manager', 'Analyst', 'Designer', null];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Human Resources', 'Research', null];
const OFFICES = ['Building 4, Floor 2', 'Kings Place', '紫竹科学园区', 'Studio C', null];

/** `count` varied contacts (several cultures, phones in several formats), the same for the same seed. */
export function generateContacts(count: number, seed = 1): Contact[] {
  const next = random(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const digits = (n: number): string => Array.from({ length: n }, () => Math.floor(next() * 10)).join('');
  return Array.from({ length: count }, (_, i) => {
    const givenName = pick(GIVEN);
    const surname = pick(FAMILY);
    const cjk = /[\p{Script=Han}\p{Script=Hangul}]/u.test(givenName + surname);
    const local = `${givenName}.${surname}`.normalize('NFKD').replace(/[^A-Za-z.]/g, '').toLowerCase() || `user${i}`;
    const phone = pick([() => `+1 (425) 555-${digits(4)}`, () => `+44 20 ${digits(4)} ${digits(4)}`, () => `0${digits(2)} ${digits(4)} ${digits(4)}`, () => `+49 30 ${digits(7)}`]);
    return contact({
      id: `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`,
      displayName: cjk ? `${surname} ${givenName}` : `${givenName} ${surname}`,
      givenName,
      surname,
      mail: `${local}${i}@contoso.example`,
      userPrincipalName: `${local}${i}@contoso.example`,
      jobTitle: pick(TITLES),
      department: pick(DEPARTMENTS),
      officeLocation: pick(OFFICES),
      businessPhones: next() < 0.7 ? [phone()] : [],
      mobilePhone: next() < 0.4 ? `+49 151 ${digits(8)}` : null,
    });
  });
}
