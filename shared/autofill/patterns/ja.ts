import type { PatternTable } from './pattern-table.ts';

/**
 * Kana and CJK ideographs, for boundaries around single-character words: 名 (given name) must not match
 * inside 氏名, 会社名 or お名前, nor 姓 inside 姓名.
 */
export const CJK = '\\u3040-\\u30ff\\u3400-\\u4dbf\\u4e00-\\u9fff\\uf900-\\ufaff';
/** A single CJK character standing alone (or beside punctuation and Latin text): `alone('名')`. */
export const alone = (char: string): string => `(?<![${CJK}])${char}(?![${CJK}])`;
const KATAKANA = '\\u30a0-\\u30ff';
const kanaWord = (word: string): string => `(?<![${KATAKANA}])${word}(?![${KATAKANA}])`;

/**
 * Japanese. Forms ask for the name twice, in kanji and in its reading (フリガナ, セイ/メイ): the
 * reading fields are "other", since a directory entry has no reading to fill them with.
 */
export const ja: PatternTable = {
  lang: 'ja',
  patterns: {
    password: ['パスワード', '暗証番号'],
    otp: ['認証コード', '確認コード', 'ワンタイム(?:パスワード)?', '画像認証', 'キャプチャ'],
    payment: ['カード番号', 'クレジットカード', 'カード名義(?:人)?', '名義人', '有効期限', 'セキュリティコード', '口座番号'],
    username: ['ユーザー?(?:名|id)', 'ログイン(?:id|名)?', 'アカウント(?:名|id)'],
    search: ['検索', 'キーワード'],
    'tel-country-code': ['国番号', '国コード'],
    other: [
      'フリガナ',
      'ふりがな',
      'よみがな',
      kanaWord('カナ'),
      'かな',
      kanaWord('セイ'),
      kanaWord('メイ'),
      'ファイル名',
      '添付',
      'ウェブサイト',
      'ホームページ',
      '業種',
      '従業員数',
      'ファッ?クス',
      '件名',
      'お問い?合わ?せ内容',
      '内容',
      '本文',
      '備考',
      '生年月日',
      '性別',
      '年齢',
      '内線(?:番号)?',
      '市外局番',
      'ニックネーム',
      '国籍',
    ],
    'given-name': [alone('名'), '下の名前'],
    'family-name': [alone('姓'), '苗字'],
    'honorific-prefix': ['敬称'],
    email: ['メールアドレス', 'メール', 'eメール', '電子メール'],
    tel: ['電話(?:番号)?', '携帯(?:電話)?(?:番号)?', '連絡先電話番号'],
    'organization-title': ['役職(?:名)?', '肩書き?', '職位', '職種', '職名'],
    department: ['(?:所属)?部署(?:名)?', '(?:所属)?部門(?:名)?'],
    'employee-id': ['(?:社員|従業員|職員)(?:番号|id|コード)'],
    address: ['住所', '郵便番号', '都道府県', '市区町村', '番地', '建物名', '所在地', '国名'],
    organization: ['会社(?:名)?', '企業(?:名)?', '団体(?:名)?', '法人名', '勤務先', '所属', '組織(?:名)?', '学校名'],
    name: ['氏名', 'お名前', '名前', 'フルネーム', 'ご?担当者(?:様)?(?:名|氏名)?', '来訪者(?:名|氏名)?', '訪問者(?:名|氏名)?', '訪問先(?:担当者)?', '代表者(?:名)?'],
  },
  // Romanised words in `name` attributes of Japanese forms (name_sei, kana_mei): only on Japanese pages.
  langOnly: {
    other: ['kana(?:\\s?(?:sei|mei))?', '(?:sei|mei)\\s?kana', 'furigana', 'hurigana'],
    'given-name': ['mei'],
    'family-name': ['名字', 'sei', 'myoji'],
  },
  honorifics: ['様', '殿'],
  mobile: ['携帯'],
};
