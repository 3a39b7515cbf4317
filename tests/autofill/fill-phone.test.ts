import { describe, expect, it } from 'vitest';
import { applyMask, formatPhoneForField, nationalDigits, parsePhone, placeholderStyle, type PhoneField } from '../../extension/lib/autofill/phone.ts';

const tel = (extra: Partial<PhoneField> = {}): PhoneField => ({ field: 'tel', ...extra });

describe('formatPhoneForField', () => {
  it.each<[string, string, PhoneField, string | null]>([
    ['keeps E.164 when the field says nothing', '+49 30 1234 5678', tel(), '+493012345678'],
    ['drops the (0) trunk prefix of "+49 (0)30"', '+49 (0)30 1234 5678', tel(), '+493012345678'],
    ['reads 00 as +', '0049 30 123456', tel(), '+4930123456'],
    ['drops an extension', '+1 425 555 0100 x12', tel(), '+14255550100'],
    ['drops "ext."', '+1 425 555 0100 ext. 7', tel(), '+14255550100'],
    ['national digits when the placeholder is a national number', '+49 30 1234 5678', tel({ placeholder: '030 1234567' }), '03012345678'],
    ['fills a national mask', '+1 425 555 0100', tel({ placeholder: '(555) 555-5555' }), '(425) 555-0100'],
    ['fills an international mask with X slots', '+1 425 555 0100', tel({ placeholder: '+1 (XXX) XXX-XXXX' }), '+1 (425) 555-0100'],
    ['a mask of another length is not a mask', '+49 30 1234 5678', tel({ placeholder: '(555) 555-5555' }), '03012345678'],
    ['stays international when the placeholder is international', '+44 20 7946 0123', tel({ placeholder: 'e.g. +44 20 7946 0000' }), '+442079460123'],
    ['a placeholder in words says nothing', '+44 20 7946 0123', tel({ placeholder: 'Your phone number' }), '+442079460123'],
    ['national digits when the pattern refuses "+"', '+49 30 12345678', tel({ pattern: '[0-9]{10,12}' }), '03012345678'],
    ['national digits when E.164 exceeds maxlength', '+49 30 12345678', tel({ maxLength: 11 }), '03012345678'],
    ['the number without trunk prefix as a last resort', '+49 30 12345678', tel({ pattern: '[1-9][0-9]{9}' }), '3012345678'],
    ['nothing when no form fits maxlength', '+49 30 12345678', tel({ maxLength: 5 }), null],
    ['nothing when no form fits the pattern', '+49 30 12345678', tel({ pattern: '[a-z]+' }), null],
    ['an invalid pattern is ignored, as browsers do', '+49 30 12345678', tel({ pattern: '[' }), '+493012345678'],
    ['a national directory number stays as written', '(425) 555-0100', tel(), '(425) 555-0100'],
    ['a national directory number as digits for a digits pattern', '(425) 555-0100', tel({ pattern: '\\d{10}' }), '4255550100'],
    ['a national number cannot become international', '(425) 555-0100', tel({ pattern: '\\+\\d+' }), null],
    ['country code', '+33 1 23 45 67 89', { field: 'tel-country-code' }, '+33'],
    ['country code without + when maxlength says so', '+33 1 23 45 67 89', { field: 'tel-country-code', maxLength: 2 }, '33'],
    ['three-digit country code', '+353 1 234 5678', { field: 'tel-country-code' }, '+353'],
    ['no country code in a national number', '030 1234567', { field: 'tel-country-code' }, null],
    ['national part: trunk 0 added (France)', '+33 1 23 45 67 89', { field: 'tel-national' }, '0123456789'],
    ['national part: Italy keeps its 0 and adds none', '+39 02 1234 5678', { field: 'tel-national' }, '0212345678'],
    ['national part: the NANP writes no trunk 1', '+1 425 555 0100', { field: 'tel-national' }, '4255550100'],
    ['national part: Russia dials 8', '+7 495 123 45 67', { field: 'tel-national' }, '84951234567'],
    ['national part: UK', '+44 20 7946 0123', { field: 'tel-national' }, '02079460123'],
    ['national part of a national number is the number', '030 1234567', { field: 'tel-national' }, '030 1234567'],
    ['not a number', 'call the front desk', tel(), null],
    ['too short', '12', tel(), null],
  ])('%s: %s', (_what, number, field, expected) => {
    expect(formatPhoneForField(number, field)).toBe(expected);
  });
});

describe('parsePhone', () => {
  it.each([
    ['+1 425 555 0100', '1', '4255550100'],
    ['+7 495 1234567', '7', '4951234567'],
    ['+49 30 123456', '49', '30123456'],
    ['+852 1234 5678', '852', '12345678'],
    ['+380 44 123 4567', '380', '441234567'],
    ['+86 10 1234 5678', '86', '1012345678'],
  ])('%s has country code %s', (number, code, nsn) => {
    expect(parsePhone(number)).toMatchObject({ international: true, countryCode: code, nsn });
  });

  it('keeps the extension apart', () => {
    expect(parsePhone('+1 425 555 0100 x12')).toMatchObject({ digits: '14255550100', extension: '12' });
  });

  it('national digits need a country code', () => {
    expect(nationalDigits(parsePhone('030 123456')!)).toBeNull();
    expect(nationalDigits(parsePhone('+36 1 234 5678')!)).toBe('0612345678');
  });
});

describe('placeholders', () => {
  it.each([
    ['+49 30 123456', 'international'],
    ['0049 30 123456', 'international'],
    ['030 123456', 'national'],
    ['(555) 555-5555', 'national'],
    ['z. B. 030 1234567', 'national'],
    ['Phone', null],
    ['', null],
  ])('%s → %s', (placeholder, style) => {
    expect(placeholderStyle(placeholder)).toBe(style);
  });

  it('masks take exactly as many digits as they have slots', () => {
    expect(applyMask('___-___-____', '4255550100')).toBe('425-555-0100');
    expect(applyMask('###-####', '4255550100')).toBeNull();
    expect(applyMask('Phone number', '4255550100')).toBeNull();
  });
});
