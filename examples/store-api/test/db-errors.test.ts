import { expect, it } from 'vitest'
import { classifyDbError } from '../src/db/db-errors.js'

// Error shapes as the drivers throw them (mysql2 connection.js, knex's transaction wrapper).
it('a connection lost mid-transaction is `unavailable` (503), not `other` (500)', () => {
  const closed = Object.assign(new Error("Can't add new command when connection is in closed state"), {
    fatal: true,
  })
  expect(classifyDbError(closed)).toBe('unavailable')
  expect(classifyDbError(Object.assign(new Error("Can't write in closed state"), { fatal: true }))).toBe(
    'unavailable',
  )
  expect(classifyDbError(Object.assign(new Error('read ECONNRESET'), { fatal: true, code: undefined }))).toBe(
    'unavailable',
  )
  // knex reports the failed ROLLBACK with the driver error's message (and, wrapped, as the cause)
  expect(
    classifyDbError(new Error("ROLLBACK - Can't add new command when connection is in closed state")),
  ).toBe('unavailable')
  expect(classifyDbError(new Error('Transaction rejected', { cause: closed }))).toBe('unavailable')
})

it('constraint errors keep their kinds, and an unknown error stays `other`', () => {
  expect(classifyDbError(Object.assign(new Error('dup'), { code: 'ER_DUP_ENTRY', errno: 1062 }))).toBe(
    'unique',
  )
  expect(
    classifyDbError(Object.assign(new Error('fk'), { code: 'ER_ROW_IS_REFERENCED_2', errno: 1451 })),
  ).toBe('foreign_key')
  expect(classifyDbError(Object.assign(new Error('deadlock'), { errno: 1213 }))).toBe('deadlock')
  expect(classifyDbError(Object.assign(new Error('syntax'), { code: 'ER_PARSE_ERROR', fatal: false }))).toBe(
    'other',
  )
  expect(classifyDbError(new Error('boom'))).toBe('other')
})
