/** Stable machine-readable codes carried by every {@link CacheError}. */
export type CacheErrorCode =
  | 'timeout'
  | 'store_error'
  | 'store_unavailable'
  | 'circuit_open'
  | 'decompressed_too_large'
  | 'corrupt_entry'
  | 'unsupported'
  | 'invalid_option'
  | 'closed'
  | 'loader_failed'

/**
 * The one error class cache-kit's core throws. Like every hotpath error it has `name`, a stable
 * `code` (switch on it, not on the message), `status` (an HTTP status where one applies; none
 * here) and `cause` (the store's original error when there is one).
 */
export class CacheError extends Error {
  override readonly name = 'CacheError'
  /** Stable code, e.g. `'timeout'`, `'circuit_open'`, `'decompressed_too_large'`. */
  readonly code: CacheErrorCode
  /** No HTTP status applies to a cache error: always `undefined`. */
  readonly status: number | undefined = undefined

  constructor(code: CacheErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.code = code
  }
}

/** Wraps anything a store threw into a `CacheError` (kept as is when it already is one). */
export function toCacheError(err: unknown, what: string): CacheError {
  if (err instanceof CacheError) return err
  const msg = err instanceof Error ? err.message : String(err)
  return new CacheError('store_error', `${what}: ${msg}`, { cause: err })
}
