import type { Faker } from '@faker-js/faker';
import { faker as ar } from '@faker-js/faker/locale/ar';
import { faker as da } from '@faker-js/faker/locale/da';
import { faker as de } from '@faker-js/faker/locale/de';
import { faker as el } from '@faker-js/faker/locale/el';
import { faker as enGB } from '@faker-js/faker/locale/en_GB';
import { faker as enIE } from '@faker-js/faker/locale/en_IE';
import { faker as enIN } from '@faker-js/faker/locale/en_IN';
import { faker as enUS } from '@faker-js/faker/locale/en_US';
import { faker as es } from '@faker-js/faker/locale/es';
import { faker as fr } from '@faker-js/faker/locale/fr';
import { faker as it } from '@faker-js/faker/locale/it';
import { faker as ja } from '@faker-js/faker/locale/ja';
import { faker as ko } from '@faker-js/faker/locale/ko';
import { faker as nl } from '@faker-js/faker/locale/nl';
import { faker as pl } from '@faker-js/faker/locale/pl';
import { faker as ptBR } from '@faker-js/faker/locale/pt_BR';
import { faker as sv } from '@faker-js/faker/locale/sv';
import { faker as tr } from '@faker-js/faker/locale/tr';
import { faker as uk } from '@faker-js/faker/locale/uk';
import { faker as vi } from '@faker-js/faker/locale/vi';
import { faker as zhCN } from '@faker-js/faker/locale/zh_CN';

/**
 * How people are named in each culture the seeded company employs. Names come from faker's locale
 * data (`rawDefinitions.person`); the rules for putting them together are ours, because a directory
 * shows names the way HR systems store them, not faker's `fullName` patterns (which add "Dr." and "III").
 */
export interface Culture {
  readonly key: string;
  /** Given names then surnames, by sex; a locale without sex-specific lists uses its generic list for both. */
  readonly given: { readonly female: readonly string[]; readonly male: readonly string[] };
  readonly family: { readonly female: readonly string[]; readonly male: readonly string[] };
  /**
   * `given-first` "Anna Schmidt"; `family-first` "山田 太郎" (Japanese, Vietnamese);
   * `family-first-joined` "王伟", "김민준" (Chinese and Korean write no space).
   */
  readonly order: 'given-first' | 'family-first' | 'family-first-joined';
  /** Chance of two surnames: Spanish and Portuguese naming customs ("García Márquez"). */
  readonly twoSurnames: number;
  /** Chance of a double-barrelled surname ("Müller-Lüdenscheidt", "Smith-Jones"). */
  readonly hyphenatedSurname: number;
  /** Chance of a hyphenated compound given name ("Jean-Luc", "Hans-Peter"). */
  readonly hyphenatedGiven: number;
  /** Chance the display name is "Surname, Given", as many German AD-synced tenants store it. */
  readonly surnameComma: number;
  /** Chance of an academic prefix in the display name ("Dr. Anna Schmidt"). */
  readonly doctor: number;
  /** Chance of a middle initial ("Carmen M. Abbott"). */
  readonly middleInitial: number;
  /** How extra surnames are joined in very long names. */
  readonly longJoiners: readonly string[];
}

type Pools = { generic?: readonly string[]; female?: readonly string[]; male?: readonly string[] } | null | undefined;

function bySex(pools: Pools, what: string): Culture['given'] {
  const female = pools?.female ?? pools?.generic;
  const male = pools?.male ?? pools?.generic;
  if (!female?.length || !male?.length) throw new Error(`faker locale has no ${what} list`);
  return { female, male };
}

function culture(key: string, faker: Faker, rules: Partial<Omit<Culture, 'key' | 'given' | 'family'>> = {}): Culture {
  const person = faker.rawDefinitions.person;
  return {
    key,
    given: bySex(person?.first_name, `${key} first_name`),
    family: bySex(person?.last_name, `${key} last_name`),
    order: 'given-first',
    twoSurnames: 0,
    hyphenatedSurname: 0,
    hyphenatedGiven: 0,
    surnameComma: 0,
    doctor: 0,
    middleInitial: 0,
    longJoiners: [' '],
    ...rules,
  };
}

let cultures: ReadonlyMap<string, Culture> | undefined;

/** All cultures by key (built on first use: reading faker's tables takes a few milliseconds). */
export function getCultures(): ReadonlyMap<string, Culture> {
  cultures ??= new Map(
    [
      culture('en_US', enUS, { middleInitial: 0.12, hyphenatedSurname: 0.01, longJoiners: ['-'] }),
      culture('en_GB', enGB, { hyphenatedSurname: 0.05, longJoiners: ['-'] }),
      culture('en_IE', enIE, { hyphenatedSurname: 0.02, longJoiners: ['-'] }),
      culture('en_IN', enIN),
      culture('de', de, { hyphenatedSurname: 0.06, hyphenatedGiven: 0.04, surnameComma: 0.3, doctor: 0.05, longJoiners: ['-', ' von '] }),
      culture('fr', fr, { hyphenatedSurname: 0.03, hyphenatedGiven: 0.12, longJoiners: ['-', ' de '] }),
      culture('es', es, { twoSurnames: 0.7, hyphenatedGiven: 0, longJoiners: [' y ', ' de ', ' '] }),
      culture('it', it, { longJoiners: [' '] }),
      culture('pt_BR', ptBR, { twoSurnames: 0.5, longJoiners: [' de ', ' ', ' dos '] }),
      culture('nl', nl, { hyphenatedSurname: 0.03, longJoiners: ['-', ' van '] }),
      culture('pl', pl, { hyphenatedSurname: 0.04, longJoiners: ['-'] }),
      culture('sv', sv, { hyphenatedSurname: 0.02, longJoiners: ['-'] }),
      culture('da', da, { hyphenatedSurname: 0.02, longJoiners: ['-', ' '] }),
      culture('tr', tr),
      culture('el', el),
      culture('uk', uk),
      culture('ar', ar),
      culture('ja', ja, { order: 'family-first' }),
      culture('zh_CN', zhCN, { order: 'family-first-joined' }),
      culture('ko', ko, { order: 'family-first-joined' }),
      culture('vi', vi, { order: 'family-first' }),
    ].map((c) => [c.key, c]),
  );
  return cultures;
}

export function getCulture(key: string): Culture {
  const found = getCultures().get(key);
  if (!found) throw new Error(`unknown culture ${key}`);
  return found;
}
