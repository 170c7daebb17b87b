/** Stable codes carried by every {@link SchemaError}. */
export type SchemaErrorCode =
  | 'unsupported_dialect'
  | 'invalid_index'
  | 'transaction_not_allowed'
  | 'audit_failed'
  | 'explain_failed'
  | 'invalid_option'
  | 'driver_missing'

/**
 * The one error class this package throws, shaped as every hotpath error (`name`, `code`,
 * `status`, `cause`); switch on `code`, never on the message.
 */
export class SchemaError extends Error {
  /** Stable machine-readable reason. */
  readonly code: SchemaErrorCode
  /** No HTTP status applies to a schema error: always `undefined`. */
  readonly status: number | undefined = undefined

  constructor(code: SchemaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = 'SchemaError'
    this.code = code
  }
}
