import { mulberry32 } from '../../emulator/src/directory/prng.ts';
import { emptyContact, type Contact } from '../../shared/contact.ts';

/** A contact with every field null or empty except those given. */
export function contact(fields: Partial<Contact> & { id: string }): Contact {
  return { ...emptyContact(fields.id), accountEnabled: true, userType: 'Member', ...fields };
}


const GIVEN = ['Anna', 'José', 'Jürgen', 'Zoë', 'Søren', 'Åsa', 'Ægir', 'Françoise', 'Chloé', 'Nguyễn', 'Mỹ Phương', 'Łukasz', 'Björn', 'Ana', 'Annabel', 'Hannah', 'Jean-Pierre', "D'Arcy", 'Ole', 'Renée', 'Mia', 'Noah', 'Liam', 'Olga', 'Дмитрий', 'Νίκος', '太郎', '花子', '민수', 'محمد', 'Ιωάννα', 'Straße'];
const FAMILY = ['Schmidt', 'Müller', 'Mueller', 'García', 'Østergaard', 'Öztürk', "O'Brien", 'Smith', 'Ångström', 'Lefèvre', 'Trần', 'Kowalski', 'Dvořák', 'Nowak', 'Иванов', 'Παπαδόπουλος', '山田', '佐藤', '김', 'الحسن', 'de Bruyn', 'van der Berg', 'Weiß', 'Anders', 'Schneider', 'Æbelø'];
const TITLES = ['Software Engineer', 'Senior Engineer', 'Account Executive', 'Sales Manager', 'Analyst', 'Designer', null];
const DEPARTMENTS = ['Engineering', 'Sales', 'Finance', 'Human Resources', 'Research', null];
const OFFICES = ['Building 4, Floor 2', 'Kings Place', '紫竹科学园区', 'Studio C', null];

/** `count` varied contacts (several cultures, phones in several formats), the same for the same seed. */
export function generateContacts(count: number, seed = 1): Contact[] {
  const next = mulberry32(seed);
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
