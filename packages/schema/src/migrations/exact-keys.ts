import type { Knex } from 'knex'
import { dialectOf } from '../dialects/index.js'
import { indexName } from '../index-name.js'

/** Text columns whose unique keys must compare byte for byte on every database. */
const EXACT_COLUMNS = [
  { table: 'idempotency_keys', column: 'idempotency_key', length: 255 },
  { table: 'products', column: 'sku', length: 64 },
] as const

const MOVEMENT_INVOICE_INDEX = indexName('stock_movements', ['invoice_id'])

/**
 * Migration 3: `stock_movements.invoice_id` (nullable, indexed) links the movements an invoice
 * wrote to it, so cancelling reverses exactly those; `idempotency_keys.idempotency_key` and
 * `products.sku` compare exactly (MySQL/MariaDB: `utf8mb4_bin`; SQLite and PostgreSQL already do).
 */
export const exactKeysMigration: Knex.Migration = {
  async up(knex) {
    // The index first: MySQL would otherwise build a second one for the foreign key.
    await knex.schema.alterTable('stock_movements', (t) => {
      t.integer('invoice_id').unsigned().nullable()
      t.index(['invoice_id'], MOVEMENT_INVOICE_INDEX)
    })
    await knex.schema.alterTable('stock_movements', (t) => {
      t.foreign('invoice_id').references('id').inTable('invoices').onDelete('SET NULL')
    })
    const d = dialectOf(knex)
    if (d.exactTextSql) for (const c of EXACT_COLUMNS) await d.exactTextSql(knex, c, true)
  },
  async down(knex) {
    const d = dialectOf(knex)
    if (d.exactTextSql) for (const c of EXACT_COLUMNS) await d.exactTextSql(knex, c, false)
    await knex.schema.alterTable('stock_movements', (t) => {
      t.dropForeign(['invoice_id'])
      t.dropIndex(['invoice_id'], MOVEMENT_INVOICE_INDEX)
      t.dropColumn('invoice_id')
    })
  },
}
