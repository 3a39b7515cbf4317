import { describe, expect, it } from 'vitest';
import { callingCodeLength, fold, foldTransliterated, indexTerms, MAX_TERM_LENGTH, nameKey, phoneQuery, phoneTerms, queryWords } from '../../shared/normalize.ts';

describe('fold', () => {
  it.each([
    ['ASCII case', 'Anna SCHMIDT', 'anna schmidt'],
    ['acute', 'José', 'jose'],
    ['umlaut', 'Müller', 'muller'],
    ['decomposed input (NFD)', 'Mu\u0308ller', 'muller'],
    ['sharp s', 'Straße', 'strasse'],
    ['capital sharp s', 'STRAẞE', 'strasse'],
    ['o with stroke', 'Søren Ø', 'soren o'],
    ['ligatures æ œ', 'Æsir Œuvre cœur', 'aesir oeuvre coeur'],
    ['compatibility ligature', 'ﬁnance', 'finance'],
    ['full-width Latin', 'ＡＢＣ１２３', 'abc123'],
    ['Vietnamese stacked marks', 'Trần Mỹ Phương', 'tran my phuong'],
    ['d with stroke, eth, thorn', 'Đặng Ðóra Þór', 'dang dora thor'],
    ['Polish ł', 'Łukasz Wałęsa', 'lukasz walesa'],
    ['Turkish dotted and dotless i', 'İstanbul ılık', 'istanbul ilik'],
    ['Czech háček', 'Dvořák', 'dvorak'],
    ['Greek: case, tonos, final sigma', 'Νίκος ΟΔΥΣΣΕΑΣ', 'νικοσ οδυσσεασ'],
    ['Cyrillic: case, ё', 'Пётр ИВАНОВ', 'петр иванов'],
    ['Arabic vowel marks dropped', 'مُحَمَّد', 'محمد'],
    ['Hebrew points dropped', 'שָׁלוֹם', 'שלום'],
    ['CJK unchanged', '山田 太郎', '山田 太郎'],
    ['ideographic space', '谷川\u3000麻衣子', '谷川 麻衣子'],
    ['half-width katakana with voicing', 'ｶﾞｷﾞ', 'ガギ'],
    ['kana voicing kept', 'がぎ', 'がぎ'],
    ['Hangul recomposed', '김민수', '김민수'],
    ['Devanagari vowel signs kept', 'प्रिया', 'प्रिया'],
    ['punctuation kept', "O'Brien, Jr.", "o'brien, jr."],
  ])('%s: %s → %s', (_, input, folded) => {
    expect(fold(input)).toBe(folded);
  });

  it.each([
    ['Müller', 'mueller'],
    ['Jürgen Öztürk', 'juergen oeztuerk'],
    ['Søren', 'soeren'],
    ['Åsa Ångström', 'aasa aangstroem'],
    ['José', null],
    ['Anna', null],
  ])('transliterated spelling of %s', (input, expected) => {
    expect(foldTransliterated(input)).toBe(expected);
  });
});

describe('indexTerms', () => {
  it.each([
    ['Anna Schmidt', ['anna', 'schmidt']],
    ['anna.schmidt@contoso.example', ['anna', 'schmidt', 'contoso', 'example']],
    ['Jürgen Müller', ['jurgen', 'muller', 'juergen', 'mueller']],
    ["O'Brien", ['obrien', 'o', 'brien']],
    ['Jean-Pierre', ['jeanpierre', 'jean', 'pierre']],
    ['Building 4, Floor 2', ['building', '4', 'floor', '2']],
    ['山田太郎', ['山田太郎', '田太郎', '太郎', '郎']],
    ['山田 太郎', ['山田太郎', '田太郎', '太郎', '郎']],
    ['紫竹科学园区, Floor 4', ['紫竹科学园区', '竹科学园区', '科学园区', '学园区', '园区', '区', 'floor', '4']],
    ['김민수', ['김민수', '민수', '수']],
    ['<script>alert(1)</script>', ['script', 'alert', '1']],
    ['', []],
  ])('%s', (text, terms) => {
    expect([...indexTerms(text)].sort()).toEqual([...terms].sort());
  });

  it('cuts very long words and bounds the suffixes of a long unspaced run', () => {
    const terms = [...indexTerms(`${'a'.repeat(100)} ${'山'.repeat(100)}`)];
    expect(terms.every((t) => t.length <= MAX_TERM_LENGTH)).toBe(true);
    expect(terms).toContain('a'.repeat(MAX_TERM_LENGTH));
    expect(terms.length).toBeLessThanOrEqual(1 + 24);
  });

  it('never cuts a surrogate pair', () => {
    const word = `${'a'.repeat(MAX_TERM_LENGTH - 1)}𐌰b`; // Gothic letter ahsa: a letter outside the BMP
    expect([...indexTerms(word)]).toEqual(['a'.repeat(MAX_TERM_LENGTH - 1)]);
  });
});

describe('queryWords', () => {
  it.each([
    ['ann sch', ['ann', 'sch']],
    ['  Ann   SCH  ', ['ann', 'sch']],
    ["o'bri", ['o', 'bri']],
    ['jean-p', ['jean', 'p']],
    ['anna anna', ['anna']],
    ['anna.schmidt@con', ['anna', 'schmidt', 'con']],
    ['山田 太郎', ['山田', '太郎']],
    ['!!!', []],
  ])('%s', (query, words) => {
    expect(queryWords(query)).toEqual(words);
  });
});

describe('nameKey', () => {
  it.each([
    ['Anna Schmidt', 'anna schmidt'],
    ['  José   García ', 'jose garcia'],
    ['Jean-Pierre', 'jean pierre'],
    ["O'Brien", 'o brien'],
    ['山田 太郎', '山田太郎'],
    ['谷川\u3000麻衣子', '谷川麻衣子'],
    ['Dr. Who', 'dr who'],
  ])('%s → %s', (text, key) => {
    expect(nameKey(text)).toBe(key);
  });
});

describe('phone numbers', () => {
  it.each([
    ['1', 1],
    ['7', 1],
    ['44', 2],
    ['49', 2],
    ['86', 2],
    ['353', 3],
    ['971', 3],
    ['852', 3],
    ['420', 3],
  ])('calling code of %s… is %i digits', (digits, length) => {
    expect(callingCodeLength(`${digits}123456789`)).toBe(length);
  });

  it.each([
    ['+1 (425) 555-0142', ['14255550142', '4255550142']],
    ['+44 20 7946 0094', ['442079460094', '2079460094', '02079460094']],
    ['+39 02 9527 5264', ['390295275264', '0295275264']],
    ['+971 4 531 5304', ['97145315304', '45315304', '045315304']],
    ['0044 20 7946 0094', ['00442079460094', '442079460094', '2079460094', '02079460094']],
    ['020 7946 0094', ['02079460094', '2079460094']],
    ['(425) 555-0142', ['4255550142']],
    ['03-5753-7188', ['0357537188', '357537188']],
    ['+1 425 555 0100 x123', ['14255550100', '4255550100']],
    ['+1 425 555 0100 ext. 9', ['14255550100', '4255550100']],
    ['＋８１ ３', ['813', '3', '03']],
    ['n/a', []],
  ])('phoneTerms(%s)', (phone, terms) => {
    expect(phoneTerms(phone)).toEqual(terms);
  });

  it.each([
    ['4255550', '4255550'],
    ['+1 (425) 555', '1425555'],
    ['425-555-01', '42555501'],
    ['0044 20', '4420'],
    ['92 3', '923'],
    ['+', null],
    ['anna 4', null],
    ['x123', null],
  ])('phoneQuery(%s) → %s', (query, digits) => {
    expect(phoneQuery(query)).toBe(digits);
  });
});
