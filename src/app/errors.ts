/**
 * Errors a command or route raises on purpose. Each carries the HTTP status and the machine code of
 * API.md's error envelope, so the transport maps them without knowing what went wrong.
 */
export type ErrorCode =
  | 'invalid_json'
  | 'validation_error'
  | 'unauthorized'
  | 'invalid_credentials'
  | 'token_expired'
  | 'refresh_token_reused'
  | 'forbidden'
  | 'registration_closed'
  | 'not_found'
  | 'model_not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'payload_too_large'
  | 'unsupported_media_type'
  | 'rate_limited'
  | 'timeout'
  | 'unavailable'
  | 'internal_error';

export class AppError extends Error {
  override readonly name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    /** Extra response headers (e.g. retry-after). */
    readonly headers: Record<string, string> = {},
    /** Extra fields of the error envelope beside code and message (e.g. `problems` of a 400). */
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, code: ErrorCode = 'validation_error', details?: Record<string, unknown>) =>
  new AppError(400, code, message, {}, details);
export const unauthorized = (message = 'a valid bearer token is required', code: ErrorCode = 'unauthorized') => new AppError(401, code, message);
export const forbidden = (message: string, code: ErrorCode = 'forbidden') => new AppError(403, code, message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (message: string) => new AppError(409, 'conflict', message);
