/** Every code a {@link PaginationError} can carry. */
export type PaginationErrorCode =
  | 'invalid_page'
  | 'invalid_page_size'
  | 'invalid_ordering'
  | 'invalid_cursor'
  | 'conflicting_params'
  | 'invalid_option'
  | 'unsupported_dialect'

/** HTTP statuses a {@link PaginationError} maps to: 400 bad input, 404 page past the end, 500 misconfiguration. */
export type PaginationErrorStatus = 400 | 404 | 500

/**
 * The one error `parsePageParams` and `paginate` throw for bad input or bad configuration, shaped
 * as every hotpath error (`name`, `code`, `status`, `cause`). `code` is stable; `status` is the
 * HTTP status to answer with (default 400); `toJSON()` gives the contract's `{ error: { code,
 * message } }` body.
 */
export class PaginationError extends Error {
  override readonly name = 'PaginationError'
  /** Stable machine-readable code. */
  readonly code: PaginationErrorCode
  /** HTTP status to answer with. */
  readonly status: PaginationErrorStatus

  constructor(
    code: PaginationErrorCode,
    message: string,
    options?: { status?: PaginationErrorStatus; cause?: unknown },
  ) {
    super(message, options)
    this.code = code
    this.status = options?.status ?? 400
  }

  /** The contract's error body. */
  toJSON(): { error: { code: PaginationErrorCode; message: string } } {
    return { error: { code: this.code, message: this.message } }
  }
}
