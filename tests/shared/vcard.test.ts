import { describe, expect, it } from 'vitest';
import type { Contact } from '../../shared/contact.ts';
import { escapeText, foldLine, telUri, toVCard, toVCards, unescapeText } from '../../shared/vcard.ts';
import { contact } from './contacts.ts';

const now = new Date('2025-03-04T05:06:07.890Z');

const anna = contact({
  id: '6E7B768E-07E2-4810-8459-485F84F8F204',
  displayName: 'Anna Schmidt',
  givenName: 'Anna',
  surname: 'Schmidt',
  mail: 'anna.schmidt@contoso.example',
  jobTitle: 'Senior Engineer, Platform',
  department: 'Engineering',
  companyName: 'Contoso',
  officeLocation: 'Building 4',
  businessPhones: ['+1 (425) 555-0142', '020 7946 0094'],
  mobilePhone: '+49 (0)151 2345 6789',
});

/** A reader for what we write: checks the physical lines, unfolds, and splits properties. */
function parse(vcf: string) {
  expect(vcf.endsWith('\r\n')).toBe(true);
  const physical = vcf.slice(0, -2).split('\r\n');
  for (const line of physical) {
    expect(line).not.toMatch(/[\r\n]/); // only CRLF ends a line (§3.2)
    expect(new TextEncoder().encode(line).length).toBeLessThanOrEqual(75);
    // A character split across a fold would leave a lone surrogate, which UTF-8 can't carry.
    expect(new TextDecoder().decode(new TextEncoder().encode(line))).toBe(line);
  }
  // Unfolding (§3.2): drop each CRLF followed by one space or tab.
  const lines = vcf.replace(/\r\n[ \t]/g, '').slice(0, -2).split('\r\n');
  return lines.map((line) => {
    const colon = line.indexOf(':');
    const [name, ...params] = line.slice(0, colon).split(';');
    return { name: name!, params, value: line.slice(colon + 1) };
  });
}

/** Splits a compound value at unescaped semicolons and unescapes each component. */
function components(value: string): string[] {
  const parts: string[] = [];
  let part = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\') part += value.slice(i, (i += 1) + 1);
    else if (value[i] === ';') {
      parts.push(part);
      part = '';
    } else part += value[i];
  }
  return [...parts, part].map(unescapeText);
}

const property = (vcf: string, name: string) => parse(vcf).filter((p) => p.name === name);

describe('toVCard', () => {
  it('writes a complete RFC 6350 card', () => {
    expect(toVCard(anna, { now })).toBe(
      [
        'BEGIN:VCARD',
        'VERSION:4.0',
        'PRODID:-//Peoplebook//Peoplebook vCard 4.0//EN',
        'KIND:individual',
        'FN:Anna Schmidt',
        'N:Schmidt;Anna;;;',
        'ORG:Contoso;Engineering',
        'TITLE:Senior Engineer\\, Platform',
        'EMAIL;TYPE=work:anna.schmidt@contoso.example',
        'TEL;VALUE=uri;TYPE=work,voice:tel:+14255550142',
        'TEL;TYPE=work,voice:020 7946 0094',
        'TEL;VALUE=uri;TYPE=cell:tel:+4915123456789',
        'UID:urn:uuid:6e7b768e-07e2-4810-8459-485f84f8f204',
        'REV:20250304T050607Z',
        'END:VCARD',
        '',
      ].join('\r\n'),
    );
  });

  it('starts with BEGIN then VERSION and ends with END, whatever is missing', () => {
    const lines = parse(toVCard(contact({ id: 'x' }), { now }));
    expect(lines.map((l) => l.name)).toEqual(['BEGIN', 'VERSION', 'PRODID', 'KIND', 'FN', 'N', 'UID', 'REV', 'END']);
    expect(lines.find((l) => l.name === 'UID')).toEqual({ name: 'UID', params: ['VALUE=text'], value: 'x' });
  });

  it.each<[string, Partial<Contact>, string]>([
    ['displayName', { displayName: 'Anna S.', givenName: 'A', mail: 'a@x' }, 'Anna S.'],
    ['given and family name', { displayName: '  ', givenName: 'Anna', surname: 'Schmidt', mail: 'a@x' }, 'Anna Schmidt'],
    ['mail', { displayName: '', mail: 'printer@contoso.example', userPrincipalName: 'p@x' }, 'printer@contoso.example'],
    ['UPN', { displayName: null, userPrincipalName: 'svc@contoso.example' }, 'svc@contoso.example'],
  ])('takes FN from the %s', (_, fields, fn) => {
    expect(property(toVCard(contact({ id: 'id', ...fields }), { now }), 'FN')[0]!.value).toBe(fn);
  });

  it.each([
    ['plain', 'Anna Schmidt', 'Anna Schmidt'],
    ['comma', 'Schmidt, Anna', 'Schmidt\\, Anna'],
    ['semicolon', 'A;B', 'A\\;B'],
    ['backslash', 'C:\\Users', 'C:\\\\Users'],
    ['LF', 'two\nlines', 'two\\nlines'],
    ['CRLF', 'two\r\nlines', 'two\\nlines'],
    ['CR', 'two\rlines', 'two\\nlines'],
    ['control characters', 'bell\u0007 and nul\u0000', 'bell and nul'],
    ['colon is not escaped', 'Re: Team', 'Re: Team'],
    ['lone surrogate', 'bad \ud800 half', 'bad \ufffd half'],
  ])('escapes text per §3.4: %s', (_, input, escaped) => {
    expect(escapeText(input)).toBe(escaped);
    const card = toVCard(contact({ id: 'i', displayName: input, surname: input }), { now });
    expect(property(card, 'FN')[0]!.value).toBe(escaped);
    expect(components(property(card, 'N')[0]!.value)[0]).toBe(unescapeText(escaped));
  });

  it.each([
    ['short ASCII', 'Anna Schmidt'],
    ['very long ASCII', 'Maximilian-Alexander '.repeat(30).trim()],
    ['accented', 'Ñúñez-Ærøskøbing Müller-Lüdenscheidt '.repeat(8).trim()],
    ['CJK', '山田太郎'.repeat(40)],
    ['Hangul and kana', '김민수 やまだたろう カタカナ '.repeat(12).trim()],
    ['emoji with skin tones and ZWJ', '👩🏽‍💻 Zoë 🎉 👨‍👩‍👧‍👦 '.repeat(10).trim()],
    ['4-octet characters only', '𠀋𡈽𡌛'.repeat(40)],
    ['escapes across folds', 'a,b;c\\d\ne '.repeat(20).trim()],
  ])('folds at 75 octets without splitting a character, and round-trips: %s', (_, name) => {
    const card = toVCard(contact({ id: 'id', displayName: name, givenName: name, surname: 'X', jobTitle: name, department: name, companyName: 'C;o' }), { now });
    expect(unescapeText(property(card, 'FN')[0]!.value)).toBe(name);
    expect(unescapeText(property(card, 'TITLE')[0]!.value)).toBe(name);
    expect(components(property(card, 'N')[0]!.value)).toEqual(['X', name, '', '', '']);
    expect(components(property(card, 'ORG')[0]!.value)).toEqual(['C;o', name]);
  });

  it.each([
    ['', ''],
    ['x'.repeat(75), 'x'.repeat(75)],
    ['x'.repeat(76), `${'x'.repeat(75)}\r\n x`],
    ['x'.repeat(75 + 74 + 1), `${'x'.repeat(75)}\r\n ${'x'.repeat(74)}\r\n x`],
    [`${'x'.repeat(74)}é`, `${'x'.repeat(74)}\r\n é`], // é is 2 octets: 74 + 2 > 75
    [`${'x'.repeat(73)}é`, `${'x'.repeat(73)}é`],
    [`${'x'.repeat(73)}😀`, `${'x'.repeat(73)}\r\n 😀`], // 4 octets, never split
    ['山'.repeat(26), `${'山'.repeat(25)}\r\n 山`], // 25 × 3 = 75
  ])('foldLine(%#)', (line, folded) => {
    expect(foldLine(line)).toBe(`${folded}\r\n`);
  });

  it.each([
    ['+1 (425) 555-0142', 'tel:+14255550142'],
    ['+44 20 7946 0094', 'tel:+442079460094'],
    ['0044 20 7946 0094', 'tel:+442079460094'],
    ['+49 (0)30 1234567', 'tel:+49301234567'],
    ['+1 425 555 0100 x123', 'tel:+14255550100;ext=123'],
    ['+1 425 555 0100 ext. 7', 'tel:+14255550100;ext=7'],
    ['＋８１ ３-５７５３-７１８８', 'tel:+81357537188'],
    ['020 7946 0094', null],
    ['(425) 555-0142', null],
    ['+1 555', null],
    ['+1234567890123456', null],
    ['+1 425 CALL NOW', null],
  ])('telUri(%s)', (phone, uri) => {
    expect(telUri(phone)).toBe(uri);
  });

  it('writes a national number as text, escaped', () => {
    const card = toVCard(contact({ id: 'i', businessPhones: ['030 123, ask for Bob'] }), { now });
    expect(property(card, 'TEL')).toEqual([{ name: 'TEL', params: ['TYPE=work,voice'], value: '030 123\\, ask for Bob' }]);
  });

  it('embeds a photo as a data: URI, folded, which unfolds to the exact base64', () => {
    const bytes = Uint8Array.from({ length: 1000 }, (_, i) => (i * 37) % 256);
    const card = toVCard(anna, { now, photo: { mediaType: 'image/JPEG', bytes } });
    const photo = property(card, 'PHOTO')[0]!;
    expect(photo.value).toBe(`data:image/jpeg;base64,${Buffer.from(bytes).toString('base64')}`);
    for (const length of [0, 1, 2, 3, 4]) {
      const small = property(toVCard(anna, { now, photo: { mediaType: 'image/png', bytes: bytes.subarray(0, length) } }), 'PHOTO')[0]!;
      expect(small.value).toBe(`data:image/png;base64,${Buffer.from(bytes.subarray(0, length)).toString('base64')}`);
    }
  });

  it('refuses a photo media type that is not an image type', () => {
    expect(() => toVCard(anna, { now, photo: { mediaType: 'text/html\r\nX-EVIL:1', bytes: new Uint8Array(1) } })).toThrow(TypeError);
  });

  it('keeps markup in names as text', () => {
    const card = toVCard(contact({ id: 'i', displayName: '<script>alert(1)</script>' }), { now });
    expect(property(card, 'FN')[0]!.value).toBe('<script>alert(1)</script>');
  });
});

describe('toVCards', () => {
  it('writes one card per contact, back to back, with one REV time', () => {
    const file = toVCards([anna, contact({ id: 'b', displayName: 'Bea' }), contact({ id: 'c', displayName: 'Cleo' })], { now });
    const lines = parse(file);
    expect(lines.filter((l) => l.name === 'BEGIN')).toHaveLength(3);
    expect(lines.filter((l) => l.name === 'END')).toHaveLength(3);
    expect(lines.filter((l) => l.name === 'FN').map((l) => l.value)).toEqual(['Anna Schmidt', 'Bea', 'Cleo']);
    expect(new Set(lines.filter((l) => l.name === 'REV').map((l) => l.value))).toEqual(new Set(['20250304T050607Z']));
    expect(file).toBe([anna, contact({ id: 'b', displayName: 'Bea' }), contact({ id: 'c', displayName: 'Cleo' })].map((c) => toVCard(c, { now })).join(''));
  });

  it('writes nothing for no contacts', () => {
    expect(toVCards([], { now })).toBe('');
  });
});
