/**
 * Where the seeded company's people work. An office fixes a user's city, country, usage location,
 * usual language, name culture and phone number formats.
 *
 * Phone numbers: `#` is a random digit. US numbers stay in 555-0100..0199, the range the North
 * American Numbering Plan reserves for fiction, and UK numbers in Ofcom's drama ranges
 * (020 7946 0xxx, 07700 900xxx: https://www.ofcom.org.uk/phones-and-broadband/phone-numbers/numbers-for-drama);
 * other countries have no such range, so those are random digits in the national shape.
 * Formats are deliberately inconsistent (E.164 with spaces, national, parentheses), as real directories are.
 */
export interface Office {
  readonly city: string;
  /** Graph's `country` is free text; tenants usually hold the English name. */
  readonly country: string;
  /** ISO 3166-1 alpha-2, as Graph's `usageLocation` requires (https://learn.microsoft.com/graph/api/resources/user). */
  readonly usageLocation: string;
  /** ISO 639-1 + ISO 3166-1, Graph's `preferredLanguage` format ("en-US"). */
  readonly language: string;
  /** Name culture of most people here (see cultures.ts). */
  readonly culture: string;
  readonly sites: readonly string[];
  readonly floors: number;
  /** `floor` placement: "Building 17, Floor 3" or the Japanese "12F". */
  readonly floorStyle: 'floor' | 'F';
  readonly businessPhones: readonly string[];
  readonly mobilePhones: readonly string[];
  /** Relative share of the workforce. */
  readonly weight: number;
}

export const OFFICES: readonly Office[] = [
  {
    city: 'Redmond', country: 'United States', usageLocation: 'US', language: 'en-US', culture: 'en_US',
    sites: ['Building 4', 'Building 17', 'Building 92', 'Studio C'], floors: 4, floorStyle: 'floor',
    businessPhones: ['+1 425 555 01##', '(425) 555-01##', '+1 (425) 555-01##', '425-555-01##'],
    mobilePhones: ['+1 206 555 01##', '+1 425 555 01##', '(206) 555-01##'], weight: 18,
  },
  {
    city: 'New York', country: 'United States', usageLocation: 'US', language: 'en-US', culture: 'en_US',
    sites: ['11 Times Square', 'Hudson Yards'], floors: 30, floorStyle: 'floor',
    businessPhones: ['+1 212 555 01##', '(212) 555-01##'], mobilePhones: ['+1 917 555 01##', '(646) 555-01##'], weight: 6,
  },
  {
    city: 'London', country: 'United Kingdom', usageLocation: 'GB', language: 'en-GB', culture: 'en_GB',
    sites: ['Paddington Central', 'Kings Place'], floors: 8, floorStyle: 'floor',
    businessPhones: ['+44 20 7946 0###', '020 7946 0###'], mobilePhones: ['+44 7700 900###', '07700 900###'], weight: 7,
  },
  {
    city: 'Dublin', country: 'Ireland', usageLocation: 'IE', language: 'en-IE', culture: 'en_IE',
    sites: ['One Microsoft Place', 'Grand Canal Dock'], floors: 6, floorStyle: 'floor',
    businessPhones: ['+353 1 ### ####'], mobilePhones: ['+353 8# ### ####'], weight: 2,
  },
  {
    city: 'Berlin', country: 'Germany', usageLocation: 'DE', language: 'de-DE', culture: 'de',
    sites: ['Unter den Linden 17', 'Friedrichstraße 68'], floors: 6, floorStyle: 'floor',
    businessPhones: ['+49 30 ########', '030 ########', '+49 (0)30 ########'], mobilePhones: ['+49 151 ########', '+49 170 #######'], weight: 4,
  },
  {
    city: 'München', country: 'Germany', usageLocation: 'DE', language: 'de-DE', culture: 'de',
    sites: ['Walter-Gropius-Straße 5'], floors: 7, floorStyle: 'floor',
    businessPhones: ['+49 89 ########', '089 ########'], mobilePhones: ['+49 160 #######', '+49 171 ########'], weight: 3,
  },
  {
    city: 'Paris', country: 'France', usageLocation: 'FR', language: 'fr-FR', culture: 'fr',
    sites: ['Issy-les-Moulineaux', 'La Défense'], floors: 9, floorStyle: 'floor',
    businessPhones: ['+33 1 ## ## ## ##', '01 ## ## ## ##'], mobilePhones: ['+33 6 ## ## ## ##', '06 ## ## ## ##'], weight: 5,
  },
  {
    city: 'Madrid', country: 'Spain', usageLocation: 'ES', language: 'es-ES', culture: 'es',
    sites: ['Paseo de la Castellana 259'], floors: 12, floorStyle: 'floor',
    businessPhones: ['+34 91 ### ## ##'], mobilePhones: ['+34 6## ## ## ##'], weight: 3,
  },
  {
    city: 'Milano', country: 'Italy', usageLocation: 'IT', language: 'it-IT', culture: 'it',
    sites: ['Viale Pasubio 21'], floors: 5, floorStyle: 'floor',
    businessPhones: ['+39 02 #### ####', '02 #### ####'], mobilePhones: ['+39 3## ### ####'], weight: 3,
  },
  {
    city: 'São Paulo', country: 'Brazil', usageLocation: 'BR', language: 'pt-BR', culture: 'pt_BR',
    sites: ['Av. Nações Unidas 12901'], floors: 16, floorStyle: 'floor',
    businessPhones: ['+55 11 ####-####', '(11) ####-####'], mobilePhones: ['+55 11 9####-####'], weight: 4,
  },
  {
    city: 'Amsterdam', country: 'Netherlands', usageLocation: 'NL', language: 'nl-NL', culture: 'nl',
    sites: ['Evert van de Beekstraat 354'], floors: 5, floorStyle: 'floor',
    businessPhones: ['+31 20 ### ####', '020 ### ####'], mobilePhones: ['+31 6 ########', '06 ########'], weight: 3,
  },
  {
    city: 'Warszawa', country: 'Poland', usageLocation: 'PL', language: 'pl-PL', culture: 'pl',
    sites: ['Al. Jerozolimskie 195A'], floors: 8, floorStyle: 'floor',
    businessPhones: ['+48 22 ### ## ##'], mobilePhones: ['+48 5## ### ###', '+48 6## ### ###'], weight: 3,
  },
  {
    city: 'Stockholm', country: 'Sweden', usageLocation: 'SE', language: 'sv-SE', culture: 'sv',
    sites: ['Kungsgatan 8'], floors: 6, floorStyle: 'floor',
    businessPhones: ['+46 8 ### ### ##', '08-### ### ##'], mobilePhones: ['+46 70 ### ## ##'], weight: 2,
  },
  {
    city: 'København', country: 'Denmark', usageLocation: 'DK', language: 'da-DK', culture: 'da',
    sites: ['Kanalvej 7, Lyngby'], floors: 4, floorStyle: 'floor',
    businessPhones: ['+45 ## ## ## ##'], mobilePhones: ['+45 2# ## ## ##'], weight: 2,
  },
  {
    city: 'Tokyo', country: 'Japan', usageLocation: 'JP', language: 'ja-JP', culture: 'ja',
    sites: ['品川グランドセントラルタワー', 'Shinagawa Grand Central Tower'], floors: 31, floorStyle: 'F',
    businessPhones: ['+81 3-####-####', '03-####-####'], mobilePhones: ['+81 90-####-####', '080-####-####'], weight: 5,
  },
  {
    city: 'Osaka', country: 'Japan', usageLocation: 'JP', language: 'ja-JP', culture: 'ja',
    sites: ['Hilton Plaza West'], floors: 20, floorStyle: 'F',
    businessPhones: ['+81 6-####-####', '06-####-####'], mobilePhones: ['+81 70-####-####'], weight: 1,
  },
  {
    city: 'Shanghai', country: 'China', usageLocation: 'CN', language: 'zh-CN', culture: 'zh_CN',
    sites: ['紫竹科学园区', 'Zizhu Science Park'], floors: 10, floorStyle: 'floor',
    businessPhones: ['+86 21 #### ####'], mobilePhones: ['+86 13# #### ####', '+86 18# #### ####'], weight: 3,
  },
  {
    city: 'Seoul', country: 'South Korea', usageLocation: 'KR', language: 'ko-KR', culture: 'ko',
    sites: ['Tower 8, Jongno'], floors: 20, floorStyle: 'F',
    businessPhones: ['+82 2-###-####', '02-####-####'], mobilePhones: ['+82 10-####-####'], weight: 3,
  },
  {
    city: 'Athens', country: 'Greece', usageLocation: 'GR', language: 'el-GR', culture: 'el',
    sites: ['Κηφισίας 221', 'Kifisias 221'], floors: 6, floorStyle: 'floor',
    businessPhones: ['+30 21 0### ####'], mobilePhones: ['+30 69# ### ####'], weight: 2,
  },
  {
    city: 'Kyiv', country: 'Ukraine', usageLocation: 'UA', language: 'uk-UA', culture: 'uk',
    sites: ['вул. Хрещатик 22', 'Khreshchatyk 22'], floors: 9, floorStyle: 'floor',
    businessPhones: ['+380 44 ### ## ##', '(044) ###-##-##'], mobilePhones: ['+380 67 ### ## ##', '+380 50 ### ## ##'], weight: 2,
  },
  {
    city: 'Dubai', country: 'United Arab Emirates', usageLocation: 'AE', language: 'ar-AE', culture: 'ar',
    sites: ['Dubai Internet City, Building 5'], floors: 4, floorStyle: 'floor',
    businessPhones: ['+971 4 ### ####'], mobilePhones: ['+971 50 ### ####', '+971 55 ### ####'], weight: 2,
  },
  {
    city: 'Bengaluru', country: 'India', usageLocation: 'IN', language: 'en-IN', culture: 'en_IN',
    sites: ['Embassy Golf Links, Block C', 'Prestige Ferns Galaxy'], floors: 12, floorStyle: 'floor',
    businessPhones: ['+91 80 #### ####', '080 #### ####'], mobilePhones: ['+91 9#### #####', '+91 7#### #####'], weight: 6,
  },
  {
    city: 'İstanbul', country: 'Türkiye', usageLocation: 'TR', language: 'tr-TR', culture: 'tr',
    sites: ['Levent Plaza'], floors: 14, floorStyle: 'floor',
    businessPhones: ['+90 212 ### ## ##'], mobilePhones: ['+90 5## ### ## ##'], weight: 2,
  },
  {
    city: 'Ho Chi Minh City', country: 'Vietnam', usageLocation: 'VN', language: 'vi-VN', culture: 'vi',
    sites: ['Bitexco Financial Tower'], floors: 40, floorStyle: 'F',
    businessPhones: ['+84 28 #### ####'], mobilePhones: ['+84 9# ### ## ##'], weight: 2,
  },
];

/**
 * Domains that guests come from. `.example` is reserved for documentation (RFC 2606), so no real
 * company's mail server is ever named.
 */
export const GUEST_DOMAINS: readonly string[] = [
  'partner.example',
  'fabrikam.example',
  'contoso-consulting.example',
  'northwind.example',
  'adatum.example',
  'mail.example',
];
