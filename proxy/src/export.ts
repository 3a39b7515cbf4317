import type { Writable } from 'node:stream';
import { once } from 'node:events';
import { toVCard } from '../../shared/vcard.ts';
import type { Store } from './store/types.ts';

/**
 * Streams a tenant's mirror as a JSON array or as vCard 4.0 (RFC 6350) cards, one contact at a time, so a
 * 100,000-person directory never sits in memory. Returns how many contacts were written.
 */
export async function exportDirectory(store: Store, tenantId: string, format: 'json' | 'vcf', out: Writable): Promise<number> {
  const write = async (text: string) => {
    if (!out.write(text)) await once(out, 'drain');
  };
  // One REV for the whole export: every card was current at the same moment.
  const now = new Date();
  let count = 0;
  if (format === 'json') await write('[');
  for await (const contact of store.listUsers(tenantId)) {
    if (format === 'json') await write(`${count === 0 ? '\n' : ',\n'}${JSON.stringify(contact)}`);
    else await write(toVCard(contact, { now }));
    count++;
  }
  if (format === 'json') await write(count === 0 ? ']\n' : '\n]\n');
  return count;
}
