import type { Contact } from './contact.ts';
import { displayNameOf } from './display-name.ts';

/**
 * vCard 4.0 (RFC 6350, https://www.rfc-editor.org/rfc/rfc6350) for a contact: the popup's "download
 * vCard" and the proxy's `export --format vcf`. Pure: no browser or Node APIs, `now` passed in.
 *
 * Properties written, in this order: BEGIN, VERSION (must follow BEGIN, §6.7.9), PRODID, KIND:individual,
 * FN (the one required property, §6.2.1), N, ORG (companyName;department), TITLE, EMAIL, TEL (business
 * phones as work voice, the mobile as cell), PHOTO (a data: URI), UID (urn:uuid: of the Entra object id),
 * REV, END. No X- properties: every field Peoplebook keeps has a standard property.
 */

export interface VCardPhoto {
  /** An image media type, e.g. `image/jpeg` (what Graph's photo endpoint returns). */
  mediaType: string;
  bytes: Uint8Array;
}

export interface VCardOptions {
  photo?: VCardPhoto;
  /** The card's REV (RFC 6350 §6.7.4); defaults to the current time. */
  now?: Date;
}

const PRODID = '-//Peoplebook//Peoplebook vCard 4.0//EN';
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MEDIA_TYPE = /^image\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/i;

/** One contact as one vCard, CRLF line endings, lines folded at 75 octets, ending with `END:VCARD\r\n`. */
export function toVCard(contact: Contact, options: VCardOptions = {}): string {
  const lines: string[] = ['BEGIN:VCARD', 'VERSION:4.0', `PRODID:${escapeText(PRODID)}`, 'KIND:individual'];
  lines.push(`FN:${escapeText(displayNameOf(contact))}`);
  // N: family; given; additional; prefixes; suffixes (§6.2.2). Always written: vCard 3 importers need it.
  lines.push(`N:${[contact.surname, contact.givenName, '', '', ''].map((part) => escapeText(part ?? '')).join(';')}`);
  if (contact.companyName || contact.department) {
    // ORG: organisation name, then units (§6.6.4); an empty name keeps the department in the unit slot.
    lines.push(`ORG:${[contact.companyName, contact.department].filter((part, i) => i === 0 || part).map((part) => escapeText(part ?? '')).join(';')}`);
  }
  if (contact.jobTitle) lines.push(`TITLE:${escapeText(contact.jobTitle)}`);
  if (contact.mail) lines.push(`EMAIL;TYPE=work:${escapeText(contact.mail)}`);
  for (const phone of contact.businessPhones) if (phone.trim()) lines.push(telLine('work,voice', phone));
  if (contact.mobilePhone?.trim()) lines.push(telLine('cell', contact.mobilePhone));
  if (options.photo) {
    const { mediaType, bytes } = options.photo;
    if (!MEDIA_TYPE.test(mediaType)) throw new TypeError(`vCard PHOTO: "${mediaType}" is not an image media type`);
    // A data: URI (RFC 2397) is a URI value: RFC 6350's text escaping does not apply to it (§6.2.4 example).
    lines.push(`PHOTO:data:${mediaType.toLowerCase()};base64,${base64(bytes)}`);
  }
  // UID is a URI by default (§6.7.6); an Entra object id is a GUID, so it becomes a UUID URN (RFC 4122).
  lines.push(GUID.test(contact.id) ? `UID:urn:uuid:${contact.id.toLowerCase()}` : `UID;VALUE=text:${escapeText(contact.id)}`);
  lines.push(`REV:${timestamp(options.now ?? new Date())}`);
  lines.push('END:VCARD');
  return lines.map(foldLine).join('');
}

/** Several contacts as one .vcf file: the cards one after another (RFC 6350 §3.3, `vcard-entity`). */
export function toVCards(contacts: Iterable<Contact>, options: Omit<VCardOptions, 'photo'> = {}): string {
  const now = options.now ?? new Date();
  let file = '';
  for (const contact of contacts) file += toVCard(contact, { now });
  return file;
}

/**
 * TEL (§6.4.1). A number written internationally (+ or 00, 7 to 15 digits: E.164's limit) becomes a
 * `tel:` URI (RFC 3966) with VALUE=uri, as RFC 6350 recommends; anything else stays text, because
 * without its country a national number can't be made global.
 */
function telLine(type: string, phone: string): string {
  const uri = telUri(phone);
  return uri ? `TEL;VALUE=uri;TYPE=${type}:${uri}` : `TEL;TYPE=${type}:${escapeText(phone.trim())}`;
}

const TEL = /^\s*(\+|00)([\d\s().\-/\u00a0]+?)(?:\s*(?:x|ext\.?|extension|#)\s*(\d{1,10}))?\s*$/i;

export function telUri(phone: string): string | null {
  // "+49 (0)30 …": the trunk 0 some countries print in brackets is not dialled from abroad.
  const match = TEL.exec(phone.normalize('NFKC').replace(/\(0\)/g, ''));
  if (!match) return null;
  const digits = match[2]!.replace(/\D/g, '');
  if (digits.length < 7 || digits.length > 15 || digits.startsWith('0')) return null;
  return `tel:+${digits}${match[3] ? `;ext=${match[3]}` : ''}`;
}

/** Half of a surrogate pair with no other half: not a character, so not encodable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text value escaping (§3.4): backslash, comma and semicolon get a backslash (the semicolon MUST in
 * compound properties such as N and ORG, MAY elsewhere: escaping it everywhere is always valid), a line
 * break becomes `\n`. A lone surrogate becomes U+FFFD. Other control characters are not allowed in a text value (§3.3, TEXT-CHAR): dropped.
 */
export function escapeText(text: string): string {
  return text
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(/\r\n?|[\n\u2028\u2029]/g, '\n')
    .replace(/[\\,;\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`))
    .replace(/\p{Cc}/gu, (c) => (c === '\t' ? c : ''));
}

/** Undoes `escapeText` (for readers of our own cards and for tests): `\n`/`\N` to a newline, `\x` to x. */
export function unescapeText(text: string): string {
  return text.replace(/\\([\s\S])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

/**
 * Folds one content line (§3.2): no line longer than 75 octets of UTF-8, excluding the CRLF; each
 * continuation starts with one space, which counts toward its 75. Splits only between code points, so a
 * multi-octet character (accents, CJK, emoji) stays contiguous, as §3.2 requires.
 */
export function foldLine(line: string): string {
  if (PRINTABLE_ASCII.test(line)) {
    if (line.length <= 75) return `${line}\r\n`;
    let folded = line.slice(0, 75);
    for (let i = 75; i < line.length; i += 74) folded += `\r\n ${line.slice(i, i + 74)}`;
    return `${folded}\r\n`;
  }
  let folded = '';
  let octets = 0;
  for (const char of line) {
    const code = char.codePointAt(0)!;
    const size = code < 0x80 ? 1 : code < 0x800 ? 2 : code < 0x10000 ? 3 : 4;
    if (octets + size > 75) {
      folded += '\r\n ';
      octets = 1;
    }
    folded += char;
    octets += size;
  }
  return `${folded}\r\n`;
}

/** REV's timestamp form (§4.3.5): basic ISO 8601, UTC. */
function timestamp(date: Date): string {
  return `${date.toISOString().slice(0, 19).replace(/[-:]/g, '')}Z`;
}

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Standard base64 with padding (RFC 4648 §4), without Node's Buffer so it runs in the extension too. */
function base64(bytes: Uint8Array): string {
  const out: string[] = [];
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out.push(BASE64[n >> 18]!, BASE64[(n >> 12) & 63]!, BASE64[(n >> 6) & 63]!, BASE64[n & 63]!);
  }
  if (i < bytes.length) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8);
    out.push(BASE64[n >> 18]!, BASE64[(n >> 12) & 63]!, i + 1 < bytes.length ? BASE64[(n >> 6) & 63]! : '=', '=');
  }
  return out.join('');
}
