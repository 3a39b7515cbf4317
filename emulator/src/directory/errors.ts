/**
 * Why a directory change was refused. Callers (the control API, Graph routes) branch on `code`,
 * never on the message; the message says what to do.
 */
export type DirectoryErrorCode =
  /** No user with that ID exists (or, for restore, none is soft-deleted). Graph: 404 Request_ResourceNotFound. */
  | 'userNotFound'
  /** Another user already has that userPrincipalName. Graph: 400 Request_BadRequest. */
  | 'upnConflict'
  /** The manager does not exist, or the change would make someone their own (indirect) manager. */
  | 'invalidManager'
  /** A field is unknown, read-only, or of the wrong type. */
  | 'invalidUser';

export class DirectoryError extends Error {
  override readonly name = 'DirectoryError';
  constructor(
    readonly code: DirectoryErrorCode,
    message: string,
  ) {
    super(message);
  }
}
