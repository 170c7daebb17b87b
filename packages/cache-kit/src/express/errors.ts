/** Stable codes carried by {@link CacheResponseError}. */
export type CacheResponseErrorCode = 'query_not_allowed' | 'invalid_option'

/**
 * Error raised by the HTTP layer, shaped as every hotpath error (`name`, `code`, `status`, `cause`). `status` is the HTTP status an Express error handler should answer
 * with: `400` for a query parameter outside the allow-list (with `unknownQuery: 'reject'`), `500` for a
 * misconfigured policy (thrown when the middleware or decorator is created, never per request).
 */
export class CacheResponseError extends Error {
  override readonly name = 'CacheResponseError'
  /** Stable code, e.g. `'query_not_allowed'`. */
  readonly code: CacheResponseErrorCode
  /** HTTP status for an error handler (Express' default handler reads it too). */
  readonly status: number
  /** The rejected query parameter (for `query_not_allowed`). */
  readonly param: string | undefined

  constructor(
    code: CacheResponseErrorCode,
    message: string,
    options?: { param?: string | undefined; cause?: unknown },
  ) {
    super(message, options)
    this.code = code
    this.status = code === 'query_not_allowed' ? 400 : 500
    this.param = options?.param
  }
}
