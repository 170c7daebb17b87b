import { createHmac, timingSafeEqual } from 'node:crypto'
import { PaginationError } from './errors.js'
import { type SortValue, tagValues, untagValues } from './sort-values.js'

/** Which way a cursor walks: rows after its values (`next`) or before them (`prev`). */
export type CursorDirection = 'next' | 'prev'

/** A verified cursor. */
export interface OpenCursor {
  readonly direction: CursorDirection
  readonly values: SortValue[]
}

const MAC_BYTES = 16

/**
 * Signs `values` into an opaque URL-safe token: `base64url(payload).base64url(hmac)`.
 * `binding` (ordering + filter hash) enters the MAC but not the token, so the token is only valid
 * for the query it was made for.
 */
export function signCursor(
  secret: string | Uint8Array,
  direction: CursorDirection,
  values: readonly unknown[],
  binding: string,
): string {
  const tagged = tagValues(values)
  if (!tagged)
    throw new PaginationError('invalid_option', 'a sort column holds a value a cursor cannot carry', {
      status: 500,
    })
  const payload = Buffer.from(JSON.stringify([direction === 'next' ? 'n' : 'p', tagged])).toString(
    'base64url',
  )
  return `${payload}.${mac(secret, payload, binding)}`
}

/** Verifies and decodes a token made by {@link signCursor}; any mismatch throws `invalid_cursor` (400). */
export function openCursor(
  secret: string | Uint8Array,
  token: string,
  binding: string,
  length: number,
): OpenCursor {
  const dot = token.indexOf('.')
  const payload = token.slice(0, dot)
  const given = Buffer.from(token.slice(dot + 1), 'base64url')
  const expected = Buffer.from(mac(secret, payload, binding), 'base64url')
  if (dot <= 0 || given.length !== expected.length || !timingSafeEqual(given, expected)) throw invalid()
  let decoded: unknown
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'))
  } catch {
    throw invalid()
  }
  if (!Array.isArray(decoded) || decoded.length !== 2) throw invalid()
  const [dir, tagged] = decoded as [unknown, unknown]
  const values = untagValues(tagged)
  if ((dir !== 'n' && dir !== 'p') || !values || values.length !== length) throw invalid()
  return { direction: dir === 'n' ? 'next' : 'prev', values }
}

function mac(secret: string | Uint8Array, payload: string, binding: string): string {
  return createHmac('sha256', secret)
    .update(`${payload}\n${binding}`)
    .digest()
    .subarray(0, MAC_BYTES)
    .toString('base64url')
}

function invalid(): PaginationError {
  return new PaginationError(
    'invalid_cursor',
    'cursor is invalid, or was made for another ordering or other filters',
  )
}
