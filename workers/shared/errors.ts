/**
 * What a domain operation refuses, said without HTTP: the HTTP layer (http/errors.ts) maps each
 * kind to its status and the error envelope, so domain modules stay free of transport concerns.
 */
export const DOMAIN_ERROR_KINDS = [
  'invalid',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'too_large',
  'unavailable',
] as const;

export type DomainErrorKind = (typeof DOMAIN_ERROR_KINDS)[number];

export class DomainError extends Error {
  override name = 'DomainError';
  constructor(
    readonly kind: DomainErrorKind,
    message: string,
    /** Field-level problems, as the envelope's `details`: [{ path, message }]. */
    readonly details?: unknown,
  ) {
    super(message);
  }
}

/** "<what> not found", the one wording the API uses for a missing thing. */
export function notFound(what: string): DomainError {
  return new DomainError('not_found', `${what} not found`);
}

export function conflict(message: string): DomainError {
  return new DomainError('conflict', message);
}
