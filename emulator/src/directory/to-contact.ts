import type { Contact } from '../../../shared/contact.ts';
import type { DirectoryUser } from './types.ts';

/** The contact Peoplebook keeps for an emulator user: what a mirror that synced this user must hold. */
export function toContact(user: DirectoryUser): Contact {
  return {
    id: user.id,
    displayName: user.displayName,
    givenName: user.givenName,
    surname: user.surname,
    mail: user.mail,
    userPrincipalName: user.userPrincipalName,
    jobTitle: user.jobTitle,
    department: user.department,
    companyName: user.companyName,
    officeLocation: user.officeLocation,
    businessPhones: [...user.businessPhones],
    mobilePhone: user.mobilePhone,
    accountEnabled: user.accountEnabled,
    userType: user.userType,
    managerId: user.managerId,
  };
}
