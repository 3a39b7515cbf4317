/** "Download vCard" (extension/lib/vcard-download.ts): the Blob's content and type, and safe file names. */
import { describe, expect, it } from 'vitest';
import { emptyContact, type Contact } from '../../shared/contact.ts';
import { VCARD_MEDIA_TYPE, vCardFile, vCardFileName } from '../../extension/lib/vcard-download.ts';

const contact = (fields: Partial<Contact>): Contact => ({ ...emptyContact('5f1b2c3d-1111-2222-3333-444455556666'), ...fields });

describe('vCardFile', () => {
  it('is one vCard 4.0 as text/vcard with the name as file name', async () => {
    const file = vCardFile(contact({ displayName: 'José García', mail: 'jose@contoso.example' }), { now: new Date('2025-01-02T03:04:05Z') });
    expect(file.fileName).toBe('José García.vcf');
    expect(file.blob.type).toBe(VCARD_MEDIA_TYPE);
    const text = await file.blob.text();
    expect(text.startsWith('BEGIN:VCARD\r\nVERSION:4.0\r\n')).toBe(true);
    expect(text).toContain('FN:José García\r\n');
    expect(text).toContain('EMAIL;TYPE=work:jose@contoso.example\r\n');
    expect(text.endsWith('END:VCARD\r\n')).toBe(true);
  });
});

describe('vCardFileName', () => {
  it.each([
    ['a plain name', { displayName: 'Anna Schmidt' }, 'Anna Schmidt.vcf'],
    ['path separators', { displayName: '../../etc/passwd' }, 'etc passwd.vcf'],
    ['Windows-reserved characters', { displayName: 'A<b>:c"d|e?f*g\\h' }, 'A b c d e f g h.vcf'],
    ['control characters and newlines', { displayName: 'Line\r\nBreak\u0000' }, 'Line Break.vcf'],
    ['markup', { displayName: '<img src=x onerror=alert(1)>' }, 'img src=x onerror=alert(1).vcf'],
    ['leading and trailing dots', { displayName: '...hidden.' }, 'hidden.vcf'],
    ['a device name', { displayName: 'CON' }, 'contact.vcf'],
    ['no name at all: the mail', { displayName: null, mail: 'x@contoso.example' }, 'x@contoso.example.vcf'],
    ['only punctuation', { displayName: '///' }, 'contact.vcf'],
    ['very long', { displayName: 'ä'.repeat(300) }, `${'ä'.repeat(100)}.vcf`],
  ])('%s', (_name, fields, expected) => {
    expect(vCardFileName(contact(fields))).toBe(expected);
  });
});
