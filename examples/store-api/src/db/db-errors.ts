/** What a database error means to the API, whatever the driver (mysql2, pg, better-sqlite3). */
export type DbErrorKind = 'unique' | 'foreign_key' | 'check' | 'deadlock' | 'unavailable' | 'other'

interface DriverError {
  code?: unknown
  errno?: unknown
  name?: unknown
  message?: unknown
  /** mysql2: the connection is unusable (lost, closed); such errors often carry no `code`. */
  fatal?: unknown
  cause?: unknown
}

/** Driver messages of a connection that is gone (mysql2's closed-state errors carry no code). */
const UNAVAILABLE_MESSAGE =
  /Unable to acquire a connection|Connection terminated|connection is in closed state|Can't write in closed state/

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENOTFOUND',
  'PROTOCOL_CONNECTION_LOST',
  'ER_CON_COUNT_ERROR',
  '57P01',
  '57P03',
  '08006',
  '08001',
  'SQLITE_CANTOPEN',
])

/**
 * Classifies a driver error so the API can answer 409, retry a deadlock, or answer 503. A
 * connection lost mid-transaction (the ROLLBACK then fails on the closed connection) is `unavailable`.
 */
export function classifyDbError(error: unknown): DbErrorKind {
  if (typeof error !== 'object' || error === null) return 'other'
  const e = error as DriverError
  const code = typeof e.code === 'string' ? e.code : ''
  const errno = typeof e.errno === 'number' ? e.errno : 0
  if (e.name === 'KnexTimeoutError' || UNAVAILABLE_CODES.has(code) || e.fatal === true) return 'unavailable'
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return 'unavailable'
  if (e.cause !== undefined && e.cause !== error && classifyDbError(e.cause) === 'unavailable')
    return 'unavailable'
  if (code === 'ER_DUP_ENTRY' || code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE') return 'unique'
  if (errno === 1451 || errno === 1452 || code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') {
    return 'foreign_key'
  }
  if (errno === 3819 || errno === 4025 || code === '23514' || code === 'SQLITE_CONSTRAINT_CHECK')
    return 'check'
  if (errno === 1213 || errno === 1205 || code === '40P01' || code === '40001' || code === 'SQLITE_BUSY') {
    return 'deadlock'
  }
  return 'other'
}
