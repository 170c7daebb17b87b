/** One entry of a `422`'s `details`: where the value is and what is wrong with it. */
export interface ErrorDetail {
  readonly path: string
  readonly message: string
}

/** An error the API answers with `status` and the contract's body `{ error: { code, message, details? } }`. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: readonly ErrorDetail[],
  ) {
    super(message)
    this.name = 'ApiError'
  }

  /** The JSON body the contract specifies. */
  toJSON(): { error: { code: string; message: string; details?: readonly ErrorDetail[] } } {
    return {
      error: { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) },
    }
  }
}

/** `404 not_found`: the row does not exist *for this company* (another company's id is a 404 too). */
export class NotFoundError extends ApiError {
  constructor(what: string, id: number | string) {
    super(404, 'not_found', `${what} ${id} not found`)
  }
}

/** `409`: the request conflicts with the current state (`insufficient_stock`, `invalid_state`, `conflict`). */
export class ConflictError extends ApiError {
  constructor(code: string, message: string) {
    super(409, code, message)
  }
}

/** `422 validation_failed`, with one detail per bad field. */
export class ValidationError extends ApiError {
  constructor(details: readonly ErrorDetail[]) {
    super(422, 'validation_failed', 'the request body is not valid', details)
  }
}

/** `400` for bad query parameters (`invalid_query`, or the paginator's own codes). */
export class BadRequestError extends ApiError {
  constructor(code: string, message: string, details?: readonly ErrorDetail[]) {
    super(400, code, message, details)
  }
}

/** `401 unauthorized`: missing, unknown or revoked key (admin routes: wrong token). */
export class UnauthorizedError extends ApiError {
  constructor(message = 'a valid API key is required: Authorization: Bearer <key>') {
    super(401, 'unauthorized', message)
  }
}

/** `503 database_unavailable`: the database does not answer; the process keeps running. */
export class UnavailableError extends ApiError {
  constructor(message = 'the database is unavailable, retry later') {
    super(503, 'database_unavailable', message)
  }
}

/** `429 rate_limited`: the API key sent more than its requests per minute (`Retry-After` says when to retry). */
export class RateLimitedError extends ApiError {
  constructor(message = 'too many requests for this API key; retry after the Retry-After header') {
    super(429, 'rate_limited', message)
  }
}
