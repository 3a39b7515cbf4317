import { describe, expect, it } from 'vitest';
import { compilePatterns, KIND_PRIORITY, matchText, normalizeIdentifier, normalizeText, PATTERN_TABLES, type PatternTable } from '../../shared/autofill/index.ts';

describe('normalizeText', () => {
  it.each([
    ['E-Mail-Adresse:', 'e mail adresse'],
    ['Prénom *', 'prenom'],
    ['Nom d’utilisateur', 'nom d utilisateur'],
    ['ＴＥＬ（携帯）', 'tel 携帯'],
    ['お名前（フリガナ）', 'お名前 フリガナ'],
    ['ダイバー', 'ダイバー'],
    ['Straße', 'straße'],
    ['  Job\n\ttitle  ', 'job title'],
  ])('%j → %j', (raw, expected) => expect(normalizeText(raw)).toBe(expected));
});

describe('normalizeIdentifier', () => {
  it.each([
    ['txtFirstName', 'txt first name'],
    ['lead[company_name]', 'lead company name'],
    ['ctl00$MainContent$txtEMail', 'ctl00 main content txt email'],
    ['your-email', 'your email'],
    ['input_1.3', 'input 1 3'],
    ['HTMLInput', 'html input'],
    ['user[phone_country]', 'user phone country'],
  ])('%j → %j', (raw, expected) => expect(normalizeIdentifier(raw)).toBe(expected));
});

describe('matchText', () => {
  // One row per language and per trap: the kind decides the field, or "leave alone".
  it.each([
    // English, with the word-boundary traps.
    ['en', 'Name', 'name-generic'],
    ['en', 'Full name', 'name-full'],
    ['en', 'First and last name', 'name-full'],
    ['en', 'Username', 'username'],
    ['en', 'User name', 'username'],
    ['en', 'Company name', 'organization'],
    ['en', 'File name', 'other'],
    ['en', 'Name on card', 'payment'],
    ['en', 'Cardholder name', 'payment'],
    ['en', 'First name', 'given-name'],
    ['en', 'Last name', 'family-name'],
    ['en', 'Surname', 'family-name'],
    ['en', 'Middle initial', 'additional-name'],
    ['en', 'Job title', 'organization-title'],
    ['en', 'Title', 'title'],
    ['en', 'Salutation', 'honorific-prefix'],
    ['en', 'Email address', 'email'],
    ['en', 'Company address', 'address'],
    ['en', 'Mailing list', null],
    ['en', 'Phone number', 'tel'],
    ['en', 'Country code', 'tel-country-code'],
    ['en', 'Country', 'address'],
    ['en', 'Phone extension', 'other'],
    ['en', 'Fax', 'other'],
    ['en', 'Company size', 'other'],
    ['en', 'Department', 'department'],
    ['en', 'Employee ID', 'employee-id'],
    ['en', 'Number of employees', 'other'],
    ['en', 'Verification code', 'otp'],
    ['en', 'CVC', 'payment'],
    ['en', 'Password', 'password'],
    ['en', 'Hotel', null],
    ['en', 'Microsoft Teams', null],
    // German.
    ['de', 'Vorname', 'given-name'],
    ['de', 'Nachname', 'family-name'],
    ['de', 'Name, Vorname', 'name-full'],
    ['de', 'Vor- und Nachname', 'name-full'],
    ['de', 'Benutzername', 'username'],
    ['de', 'Firmenname', 'organization'],
    ['de', 'Funktion', 'organization-title'],
    ['de', 'Abteilung', 'department'],
    ['de', 'Personalnummer', 'employee-id'],
    ['de', 'Telefon (Ländervorwahl)', 'tel-country-code'],
    ['de', 'Geschäftstelefon', 'tel'],
    ['de', 'Straße', 'address'],
    ['de', 'Karteninhaber', 'payment'],
    ['de', 'Anrede', 'honorific-prefix'],
    // French.
    ['fr', 'Prénom', 'given-name'],
    ['fr', 'Nom de famille', 'family-name'],
    ['fr', 'Nom', 'name-generic'],
    ['fr', "Nom d'utilisateur", 'username'],
    ['fr', 'Courriel', 'email'],
    ['fr', 'Poste', 'organization-title'],
    ['fr', 'Matricule', 'employee-id'],
    ['fr', 'Titulaire de la carte', 'payment'],
    ['fr', 'Civilité', 'honorific-prefix'],
    // Spanish.
    ['es', 'Nombre', 'name-generic'],
    ['es', 'Nombre y apellidos', 'name-full'],
    ['es', 'Apellido', 'family-name'],
    ['es', 'Nombre de la empresa', 'organization'],
    ['es', 'Nombre de usuario', 'username'],
    ['es', 'Cargo', 'organization-title'],
    ['es', 'Departamento', 'department'],
    ['es', 'Correo electrónico', 'email'],
    ['es', 'Teléfono móvil', 'tel'],
    // Italian.
    ['it', 'Nome', 'name-generic'],
    ['it', 'Cognome', 'family-name'],
    ['it', 'Nome e cognome', 'name-full'],
    ['it', 'Nome utente', 'username'],
    ['it', 'Reparto', 'department'],
    ['it', 'Matricola', 'employee-id'],
    ['it', 'Ragione sociale', 'organization'],
    // Portuguese.
    ['pt', 'Sobrenome', 'family-name'],
    ['pt', 'Nome completo', 'name-full'],
    ['pt', 'Nome da empresa', 'organization'],
    ['pt', 'Celular', 'tel'],
    ['pt', 'Função', 'organization-title'],
    // Dutch.
    ['nl', 'Voornaam', 'given-name'],
    ['nl', 'Achternaam', 'family-name'],
    ['nl', 'Gebruikersnaam', 'username'],
    ['nl', 'Bedrijfsnaam', 'organization'],
    ['nl', 'Functie', 'organization-title'],
    ['nl', 'Afdeling', 'department'],
    ['nl', 'Tussenvoegsel', 'other'],
    // Japanese.
    ['ja', '氏名', 'name'],
    ['ja', 'お名前', 'name'],
    ['ja', '姓', 'family-name'],
    ['ja', '名', 'given-name'],
    ['ja', 'お名前（姓）', 'family-name'],
    ['ja', '会社名', 'organization'],
    ['ja', '部署名', 'department'],
    ['ja', '役職', 'organization-title'],
    ['ja', 'メールアドレス', 'email'],
    ['ja', '電話番号', 'tel'],
    ['ja', '社員番号', 'employee-id'],
    ['ja', 'フリガナ（セイ）', 'other'],
    ['ja', 'ユーザー名', 'username'],
    ['ja', 'ファイル名', 'other'],
    // Chinese.
    ['zh', '姓名', 'name'],
    ['zh', '姓', 'family-name'],
    ['zh', '名', 'given-name'],
    ['zh', '电子邮件', 'email'],
    ['zh', '邮箱', 'email'],
    ['zh', '手机', 'tel'],
    ['zh', '电话', 'tel'],
    ['zh', '公司', 'organization'],
    ['zh', '职位', 'organization-title'],
    ['zh', '职务', 'organization-title'],
    ['zh', '部门', 'department'],
    ['zh', '工号', 'employee-id'],
    ['zh', '用户名', 'username'],
    ['zh', '验证码', 'otp'],
  ])('%s %j → %s', (lang, text, kind) => {
    expect(matchText(text, lang)?.kind ?? null).toBe(kind);
  });

  it.each([
    ['Service', 'fr', 'department'],
    ['Service', 'en', null],
    ['Área', 'es', 'department'],
    ['Área', 'en', null],
    ['名字', 'ja', 'family-name'],
    ['名字', 'zh', 'name-generic'],
    ['name sei', 'ja', 'family-name'],
    ['name sei', 'it', 'name-generic'],
  ])('%j means a different thing by language: %s → %s', (text, lang, kind) => {
    expect(matchText(text, lang)?.kind ?? null).toBe(kind);
  });
});

describe('pattern tables', () => {
  it('are one table per language, each with patterns for the contact fields', () => {
    expect(PATTERN_TABLES.map((t) => t.lang)).toEqual(['en', 'de', 'fr', 'es', 'it', 'pt', 'nl', 'ja', 'zh']);
    for (const table of PATTERN_TABLES) {
      for (const kind of ['email', 'tel', 'organization', 'organization-title', 'department', 'employee-id', 'given-name', 'family-name'] as const) {
        expect(table.patterns[kind] ?? table.langOnly?.[kind], `${table.lang} ${kind}`).toBeDefined();
      }
      for (const kind of Object.keys(table.patterns)) expect(KIND_PRIORITY).toContain(kind);
    }
  });

  it('adding a language is data only', () => {
    const sv: PatternTable = { lang: 'sv', patterns: { 'given-name': ['fornamn'], 'family-name': ['efternamn'], email: ['e\\s?post'] }, honorifics: ['herr', 'fru'] };
    const matcher = compilePatterns([...PATTERN_TABLES, sv]);
    expect(matcher.match(normalizeText('Förnamn'))?.kind).toBe('given-name');
    expect(matcher.match(normalizeText('E-post'))?.kind).toBe('email');
    expect(matcher.isHonorific('fru')).toBe(true);
    expect(matchText('Förnamn')).toBeNull();
  });
});
