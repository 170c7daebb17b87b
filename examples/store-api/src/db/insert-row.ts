import type { Knex } from 'knex'
import { toInt } from './values.js'

/**
 * Inserts one row and resolves its new id: `RETURNING id` where the database has it (PostgreSQL,
 * SQLite), the insert id MySQL/MariaDB report otherwise.
 */
export async function insertRow(db: Knex, table: string, row: Record<string, unknown>): Promise<number> {
  const returning = !/mysql/.test(String(db.client.config.client))
  const result: unknown[] = returning
    ? await db(table).insert(row).returning('id')
    : await db(table).insert(row)
  const first = result[0]
  if (typeof first === 'object' && first !== null) return toInt((first as { id: unknown }).id)
  return toInt(first)
}
