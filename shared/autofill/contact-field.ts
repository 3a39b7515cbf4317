/**
 * The contact fields the classifier recognises in a web form. The names are the WHATWG autofill field
 * names (https://html.spec.whatwg.org/multipage/form-control-infrastructure.html#autofill-field), plus
 * `department` and `employee-id`, which the standard has no token for but directory forms ask for.
 */
export const CONTACT_FIELDS = [
  'name',
  'given-name',
  'family-name',
  'additional-name',
  'honorific-prefix',
  'email',
  'tel',
  'tel-country-code',
  'tel-national',
  'organization',
  'organization-title',
  'department',
  'employee-id',
] as const;

export type ContactField = (typeof CONTACT_FIELDS)[number];

/**
 * The coarse fields of the `peoplebook-autofill classify` contract (../shared/design.md, "Contracts"):
 * the ones a colleague's directory entry fills directly.
 */
export type DesignField = 'name' | 'given-name' | 'family-name' | 'email' | 'tel' | 'organization' | 'organization-title' | 'department';

/**
 * Maps a fine-grained field to the contract's list: telephone parts are telephone fields (the filler
 * formats the number for them); honorifics, middle names and employee ids are not in the contract
 * because a directory entry has no value for them (Graph's `user` has no such properties).
 */
export function toDesignField(field: ContactField | null): DesignField | null {
  switch (field) {
    case 'tel-country-code':
    case 'tel-national':
      return 'tel';
    case 'additional-name':
    case 'honorific-prefix':
    case 'employee-id':
    case null:
      return null;
    default:
      return field;
  }
}
