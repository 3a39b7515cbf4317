import { describe, expect, it } from 'vitest';
import { ALL_FIELDS, emailOf, formatLastSync, initialsOf, mailtoUrl, phonesOf, resultLines, shownFields, telHref, teamsChatUrl } from '../../extension/lib/ui/contact-format.ts';
import { anna, contact, NOW } from './ui-fakes.ts';

describe('contact formatting', () => {
  it.each([
    ['Anna Schmidt', 'AS'],
    ['anna', 'A'],
    ['Jean-Pierre de la Fontaine', 'JF'],
    ['Łukasz Nowak', 'ŁN'],
    ['山田 太郎', '山太'],
    ['Zoë', 'Z'],
    ['  ', '?'],
    ['anna.schmidt@contoso.example', 'AE'],
    ['(Bob) O’Brien', 'BO'],
  ])('initials of %j are %j', (name, expected) => {
    expect(initialsOf(name)).toBe(expected);
  });

  it.each([
    ['anna@contoso.example', 'mailto:anna@contoso.example'],
    [' anna@contoso.example ', 'mailto:anna@contoso.example'],
    ["o'brien+tag@contoso.example", "mailto:o'brien%2Btag@contoso.example"],
    ['a?b@contoso.example', 'mailto:a%3Fb@contoso.example'],
    ['anna@contoso.example?cc=boss@x', null], // no header injection: not one address
    ['javascript:alert(1)', null],
    ['two words@contoso.example', null],
    ['<a@b.c>', null],
    ['', null],
    [null, null],
  ])('mailtoUrl(%j) = %j', (address, expected) => {
    expect(mailtoUrl(address)).toBe(expected);
  });

  it.each([
    ['+1 (425) 555-0142', 'tel:+14255550142'],
    ['+49 (0)30 1234567', 'tel:+49301234567'],
    ['030 1234 5678', 'tel:03012345678'],
    ['ext 12', null],
    ['javascript:alert(1)', null],
  ])('telHref(%j) = %j', (phone, expected) => {
    expect(telHref(phone)).toBe(expected);
  });

  it.each([
    ['member: UPN', contact({ id: '1', userPrincipalName: 'anna@contoso.example', mail: 'anna.schmidt@contoso.example' }), 'https://teams.microsoft.com/l/chat/0/0?users=anna%40contoso.example'],
    ['guest: mail, not the #EXT# UPN', contact({ id: '2', userPrincipalName: 'eve_fabrikam.com#EXT#@contoso.onmicrosoft.com', mail: 'eve@fabrikam.com' }), 'https://teams.microsoft.com/l/chat/0/0?users=eve%40fabrikam.com'],
    ['nothing to chat with', contact({ id: '3', userPrincipalName: null, mail: null }), null],
    ['odd characters are encoded', contact({ id: '4', userPrincipalName: 'a&b=c@contoso.example' }), 'https://teams.microsoft.com/l/chat/0/0?users=a%26b%3Dc%40contoso.example'],
  ])('teamsChatUrl: %s', (_name, who, expected) => {
    expect(teamsChatUrl(who)).toBe(expected);
  });

  it.each([
    ['mail', contact({ id: '1', mail: 'm@x.example', userPrincipalName: 'u@x.example' }), 'm@x.example'],
    ['UPN when no mail', contact({ id: '2', mail: null, userPrincipalName: 'u@x.example' }), 'u@x.example'],
    ['never a guest UPN', contact({ id: '3', mail: null, userPrincipalName: 'e_f.com#EXT#@x.onmicrosoft.com' }), null],
  ])('emailOf: %s', (_name, who, expected) => {
    expect(emailOf(who)).toBe(expected);
  });

  it('builds a result row, honouring the fields shown', () => {
    expect(resultLines(anna)).toEqual({ name: 'Anna Schmidt', detail: 'Engineering Manager · Engineering', email: 'anna.schmidt@contoso.example' });
    expect(resultLines(anna, shownFields(['department']))).toEqual({ name: 'Anna Schmidt', detail: 'Engineering', email: '' });
    expect(resultLines(contact({ id: 'x', displayName: null, givenName: 'Zoë', surname: null }))).toEqual({ name: 'Zoë', detail: '', email: '' });
  });

  it.each([
    [null, ALL_FIELDS],
    [[], []],
    [['mail', 'unknown', 'jobTitle'], ['jobTitle', 'mail']],
  ])('shownFields(%j)', (setting, expected) => {
    expect([...shownFields(setting)]).toEqual(expected);
  });

  it('lists work then mobile numbers, as chosen', () => {
    expect(phonesOf(anna).map((p) => `${p.label} ${p.number} ${p.href}`)).toEqual(['Work +1 (425) 555-0142 tel:+14255550142', 'Mobile +49 151 12345678 tel:+4915112345678']);
    expect(phonesOf(anna, shownFields(['mobilePhone'])).map((p) => p.label)).toEqual(['Mobile']);
  });

  it.each([
    [null, 'never'],
    [NOW - 20_000, 'just now'],
    [NOW - 60_000, '1 minute ago'],
    [NOW - 45 * 60_000, '45 minutes ago'],
    [NOW - 3 * 3_600_000, '3 hours ago'],
    [NOW - 26 * 3_600_000, 'yesterday'],
    [NOW - 3 * 86_400_000, '3 days ago'],
  ])('formatLastSync(%s)', (at, expected) => {
    expect(formatLastSync(at, NOW)).toBe(expected);
  });
});
