import type { Contact } from '../../shared/contact.ts';
import { displayNameOf } from '../../shared/display-name.ts';
import { toVCard, type VCardPhoto } from '../../shared/vcard.ts';

/**
 * The contact card's "Download vCard": one vCard 4.0 (RFC 6350, ../../shared/vcard.ts) as a Blob with a
 * file name made from the colleague's name. Pure apart from `Blob`; the popup hands the result to
 * `triggerDownload` (or `browser.downloads`).
 */

export interface VCardFile {
  blob: Blob;
  fileName: string;
}

/** RFC 6350 §10.1: media type text/vcard, UTF-8 only in version 4.0. */
export const VCARD_MEDIA_TYPE = 'text/vcard;charset=utf-8';

export function vCardFile(contact: Contact, options: { photo?: VCardPhoto; now?: Date } = {}): VCardFile {
  return { blob: new Blob([toVCard(contact, options)], { type: VCARD_MEDIA_TYPE }), fileName: vCardFileName(contact) };
}

/**
 * A file name every OS accepts: the display name without path separators, reserved characters
 * (Windows: <>:"/\|?*), control characters or leading/trailing dots and spaces, at most 100 characters,
 * with `.vcf`. Directory text is data: "../../etc" becomes "etc.vcf", never a path.
 */
export function vCardFileName(contact: Contact): string {
  const base = displayNameOf(contact)
    .normalize('NFC')
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u001f\u007f<>:"/\\|?*]+/g, ' ')
    .replace(/\s+/g, ' ')
    .replace(/^[\s.]+|[\s.]+$/g, '');
  const short = Array.from(base).slice(0, 100).join('').trim();
  // Windows reserves these device names whatever the extension.
  const safe = short === '' || /^(con|prn|aux|nul|com\d|lpt\d)$/i.test(short) ? 'contact' : short;
  return `${safe}.vcf`;
}

/** Saves a file from an extension page: a temporary object URL on an `<a download>`, clicked, then revoked. */
export function triggerDownload(file: VCardFile, doc: Document = document): void {
  const url = URL.createObjectURL(file.blob);
  const link = doc.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.rel = 'noopener';
  doc.body.append(link);
  link.click();
  link.remove();
  // Revoked after the click has been handled: the download has its own reference by then.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
