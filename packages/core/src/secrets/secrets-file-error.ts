/**
 * A secrets file that cannot be used: unreadable, not JSON, or a field missing or wrong. `field`
 * names the field at fault ('ticketKeys[1]', 'cookieSecret', ...; '' for the file as a whole), so
 * an operator knows what to fix; the message never holds secret material.
 */
export class SecretsFileError extends Error {
  override readonly name: string = 'SecretsFileError';

  constructor(
    /** The field at fault ('' for the whole file). */
    readonly field: string,
    message: string,
    /** The file, when the text came from one. */
    readonly path?: string,
    options?: ErrorOptions,
  ) {
    super(`${path === undefined ? 'secrets file' : `secrets file ${path}`}: ${field === '' ? '' : `${field}: `}${message}`, options);
  }
}
