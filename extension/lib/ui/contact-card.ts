import type { Contact } from '../../../shared/contact.ts';
import { displayNameOf } from '../../../shared/display-name.ts';
import { emailOf, type FieldKey, initialsOf, mailtoUrl, phonesOf, teamsChatUrl } from './contact-format.ts';
import { type Child, h, replaceChildren } from './dom.ts';

/**
 * The contact card: photo (lazy, initials until it arrives), name, title, department, office, email,
 * phones, manager and direct reports, and the actions. Every directory value goes in as text; links are
 * built by ./contact-format.ts with fixed schemes.
 */
export interface CardContext {
  fields: ReadonlySet<FieldKey>;
  getContact(id: string): Promise<Contact | undefined>;
  listByManager(managerId: string): Promise<readonly Contact[]>;
  photo(id: string): Promise<Blob | null>;
  /** Opens another colleague's card (manager, direct report). */
  open(id: string): void;
  back(): void;
  copy(text: string, what: string): void;
  downloadVCard(contact: Contact): void;
  /** `URL.createObjectURL`/`revokeObjectURL`, injectable for tests. */
  objectUrls?: { create(blob: Blob): string; revoke(url: string): void };
}

export interface RenderedCard {
  element: HTMLElement;
  /** Receives focus when the card opens: its heading (tabindex -1), so a screen reader reads the name. */
  focusTarget: HTMLElement;
  /** Manager, reports and photo have loaded (or failed). */
  loaded: Promise<void>;
  /** Stops pending work from touching the card and frees the photo's object URL. */
  dispose(): void;
}

const MAX_REPORTS = 50;

export function renderContactCard(doc: Document, contact: Contact, context: CardContext): RenderedCard {
  const { fields } = context;
  let disposed = false;
  let photoUrl: string | null = null;
  const objectUrls = context.objectUrls ?? { create: (blob: Blob) => URL.createObjectURL(blob), revoke: (url: string) => URL.revokeObjectURL(url) };
  const name = displayNameOf(contact);

  const button = (label: string, attributes: Record<string, string>, onClick: () => void, ...children: Child[]): HTMLButtonElement => {
    const element = h(doc, 'button', { type: 'button', ...attributes }, ...(children.length > 0 ? children : [label]));
    element.addEventListener('click', onClick);
    return element;
  };
  const link = (href: string, label: string, attributes: Record<string, string> = {}): HTMLAnchorElement => h(doc, 'a', { href, ...attributes }, label);

  // Header: photo, name, title, department.
  const initials = h(doc, 'span', { class: 'initials', 'aria-hidden': 'true' }, initialsOf(name));
  const avatar = h(doc, 'div', { class: 'avatar', 'data-testid': 'card-photo', 'data-photo': 'placeholder' }, initials);
  const heading = h(doc, 'h1', { id: 'pb-card-name', class: 'card-name', tabindex: '-1', 'data-testid': 'card-name' }, name);
  const jobTitle = fields.has('jobTitle') && contact.jobTitle?.trim();
  const department = fields.has('department') && contact.department?.trim();
  const head = h(
    doc,
    'div',
    { class: 'card-head' },
    avatar,
    h(doc, 'div', { class: 'card-head-text' }, heading, jobTitle && h(doc, 'p', { class: 'card-title', 'data-testid': 'card-title' }, jobTitle), department && h(doc, 'p', { class: 'card-department muted', 'data-testid': 'card-department' }, department)),
  );

  // Fields.
  const list = h(doc, 'dl', { class: 'card-fields' });
  const field = (label: string, testid: string, ...value: Child[]): void => {
    list.appendChild(h(doc, 'div', { class: 'card-field', 'data-testid': testid }, h(doc, 'dt', {}, label), h(doc, 'dd', {}, ...value)));
  };
  const email = emailOf(contact);
  const mailto = mailtoUrl(email);
  if (fields.has('mail') && email) {
    field('Email', 'card-email', mailto ? link(mailto, email) : email, ' ', button('Copy', { class: 'copy', 'aria-label': `Copy email address ${email}`, 'data-testid': 'copy-email' }, () => context.copy(email, 'email address')));
  }
  const upn = contact.userPrincipalName?.trim();
  if (fields.has('userPrincipalName') && upn && upn !== email) field('Sign-in name', 'card-upn', upn);
  for (const phone of phonesOf(contact, fields)) {
    field(phone.label, 'card-phone', phone.href ? link(phone.href, phone.number) : phone.number, ' ', button('Copy', { class: 'copy', 'aria-label': `Copy ${phone.label.toLowerCase()} phone ${phone.number}`, 'data-testid': 'copy-phone' }, () => context.copy(phone.number, 'phone number')));
  }
  if (fields.has('officeLocation') && contact.officeLocation?.trim()) field('Office', 'card-office', contact.officeLocation.trim());
  if (fields.has('companyName') && contact.companyName?.trim()) field('Company', 'card-company', contact.companyName.trim());

  // Actions.
  const teams = teamsChatUrl(contact);
  const actions = h(
    doc,
    'div',
    { class: 'card-actions' },
    mailto && link(mailto, 'Email', { class: 'button', 'data-testid': 'action-mailto' }),
    teams && link(teams, 'Chat in Teams', { class: 'button', target: '_blank', rel: 'noopener noreferrer', 'data-testid': 'action-teams' }),
    button('Download vCard', { class: 'button', 'data-testid': 'action-vcard' }, () => context.downloadVCard(contact)),
  );

  // Manager and direct reports, filled in when they load.
  const colleagueButton = (colleague: Contact, testid: string): HTMLButtonElement => {
    const title = colleague.jobTitle?.trim();
    return button('', { class: 'colleague', 'data-testid': testid, 'data-contact-id': colleague.id }, () => context.open(colleague.id), h(doc, 'span', { class: 'colleague-name' }, displayNameOf(colleague)), title && h(doc, 'span', { class: 'colleague-title muted' }, title));
  };
  const managerSection = h(doc, 'section', { class: 'card-section', 'data-testid': 'card-manager', 'aria-labelledby': 'pb-card-manager', hidden: true }, h(doc, 'h2', { id: 'pb-card-manager' }, 'Manager'));
  const reportsHeading = h(doc, 'h2', { id: 'pb-card-reports' }, 'Direct reports');
  const reportsSection = h(doc, 'section', { class: 'card-section', 'data-testid': 'card-reports', 'aria-labelledby': 'pb-card-reports', hidden: true }, reportsHeading);

  const backButton = button('', { class: 'back', 'data-testid': 'card-back', 'aria-label': 'Back', title: 'Back (Esc)' }, () => context.back(), h(doc, 'span', { 'aria-hidden': 'true' }, '←'), ' Back');
  const element = h(doc, 'article', { class: 'card', 'data-testid': 'contact-card', 'data-contact-id': contact.id, 'aria-labelledby': 'pb-card-name' }, h(doc, 'div', { class: 'card-top' }, backButton), head, list, actions, managerSection, reportsSection);

  const loadManager = async (): Promise<void> => {
    if (!fields.has('manager') || !contact.managerId) return;
    const manager = await context.getContact(contact.managerId);
    if (disposed || !manager) return;
    managerSection.appendChild(colleagueButton(manager, 'manager-button'));
    managerSection.hidden = false;
  };
  const loadReports = async (): Promise<void> => {
    if (!fields.has('directReports')) return;
    const reports = await context.listByManager(contact.id);
    if (disposed || reports.length === 0) return;
    replaceChildren(reportsHeading, `Direct reports (${reports.length})`);
    const items = h(doc, 'ul', { class: 'reports' });
    for (const report of reports.slice(0, MAX_REPORTS)) items.appendChild(h(doc, 'li', {}, colleagueButton(report, 'report-button')));
    reportsSection.appendChild(items);
    if (reports.length > MAX_REPORTS) reportsSection.appendChild(h(doc, 'p', { class: 'muted' }, `and ${reports.length - MAX_REPORTS} more`));
    reportsSection.hidden = false;
  };
  const loadPhoto = async (): Promise<void> => {
    const blob = await context.photo(contact.id);
    if (disposed || !blob) return;
    photoUrl = objectUrls.create(blob);
    // alt="": the name is the heading right beside the photo (decorative image, WCAG H67).
    const img = h(doc, 'img', { src: photoUrl, alt: '', width: 96, height: 96, decoding: 'async' });
    img.addEventListener('error', () => {
      img.remove();
      avatar.setAttribute('data-photo', 'placeholder');
      avatar.appendChild(initials);
    });
    replaceChildren(avatar, img);
    avatar.setAttribute('data-photo', 'loaded');
  };
  const quietly = (work: Promise<void>): Promise<void> => work.catch(() => undefined); // offline: the card still shows everything local
  const loaded = Promise.all([quietly(loadManager()), quietly(loadReports()), quietly(loadPhoto())]).then(() => undefined);

  return {
    element,
    focusTarget: heading,
    loaded,
    dispose() {
      disposed = true;
      if (photoUrl) objectUrls.revoke(photoUrl);
      photoUrl = null;
    },
  };
}
