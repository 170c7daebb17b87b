import type { Knex } from 'knex'
import { ValidationError } from '../errors.js'

/**
 * Checks that every id in `ids` is a row of `table` belonging to `companyId`; otherwise `422`
 * naming the field (another company's id reads exactly like a missing one). One query.
 */
export async function assertOwned(
  db: Knex,
  companyId: number,
  table: string,
  field: string,
  ids: readonly number[],
): Promise<void> {
  const wanted = [...new Set(ids)]
  if (wanted.length === 0) return
  const found = await db(table).where('company_id', companyId).whereIn('id', wanted).pluck('id')
  const have = new Set(found.map(Number))
  const missing = wanted.filter((id) => !have.has(id))
  if (missing.length > 0) {
    throw new ValidationError(missing.map((id) => ({ path: field, message: `no such ${table} row: ${id}` })))
  }
}
