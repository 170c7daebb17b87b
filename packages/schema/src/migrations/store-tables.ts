import type { Knex } from 'knex'
import { dialectOf } from '../dialects/index.js'
import {
  INVOICE_STATUSES,
  INVOICE_TYPES,
  MOVEMENT_TYPES,
  STORE_COLUMN_LIMITS,
  STORE_TABLES,
} from '../tables.js'

type Table = Knex.CreateTableBuilder

function companyId(t: Table): void {
  t.integer('company_id').unsigned().notNullable().references('id').inTable('companies')
}

/** The company, product and warehouse a stock row or a movement belongs to. */
function productAtWarehouse(t: Table): void {
  companyId(t)
  t.integer('product_id').unsigned().notNullable().references('id').inTable('products').onDelete('CASCADE')
  t.integer('warehouse_id').unsigned().notNullable().references('id').inTable('warehouses')
}

/**
 * Migration 1: the store's thirteen tables with their keys, NOT NULLs, unique constraints and checks.
 * Secondary indexes come in the next migration, as the report added them to existing tables.
 */
export const storeTablesMigration: Knex.Migration = {
  async up(knex) {
    const d = dialectOf(knex)
    const ts = (t: Table, column: string, defaultNow = true) => d.timestamp(knex, t, column, defaultNow)
    const money = (
      t: Table,
      column: string,
      { precision, scale }: { precision: number; scale: number } = STORE_COLUMN_LIMITS.price,
    ) => t.decimal(column, precision, scale).notNullable()

    await knex.schema.createTable('companies', (t) => {
      t.increments('id')
      t.string('name', 255).notNullable()
      t.string('email', 255).notNullable().unique({ indexName: 'companies_email_unique' })
      t.boolean('is_active').notNullable().defaultTo(true)
      ts(t, 'created_at').notNullable()
    })
    await knex.schema.createTable('shops', (t) => {
      t.increments('id')
      companyId(t)
      t.string('name', 255).notNullable()
      t.string('city', 128).notNullable()
      t.boolean('is_active').notNullable().defaultTo(true)
      ts(t, 'created_at').notNullable()
    })
    for (const name of ['categories', 'suppliers', 'warehouses'] as const) {
      await knex.schema.createTable(name, (t) => {
        t.increments('id')
        companyId(t)
        t.string('name', 255).notNullable()
        if (name === 'suppliers') t.string('email', 255).notNullable()
        if (name === 'warehouses') t.string('city', 128).notNullable()
      })
    }
    await knex.schema.createTable('users', (t) => {
      t.increments('id')
      companyId(t)
      t.string('email', 255).notNullable()
      t.string('name', 255).notNullable()
      ts(t, 'created_at').notNullable()
    })
    await knex.schema.createTable('products', (t) => {
      t.increments('id')
      companyId(t)
      t.integer('category_id')
        .unsigned()
        .nullable()
        .references('id')
        .inTable('categories')
        .onDelete('SET NULL')
      t.integer('supplier_id')
        .unsigned()
        .nullable()
        .references('id')
        .inTable('suppliers')
        .onDelete('SET NULL')
      t.string('name', 255).notNullable()
      t.string('sku', 64).notNullable()
      money(t, 'sale_price')
      money(t, 'cost_price')
      t.boolean('is_active').notNullable().defaultTo(true)
      ts(t, 'created_at').notNullable()
      ts(t, 'updated_at').notNullable()
      t.unique(['company_id', 'sku'], { indexName: 'products_company_id_sku_unique' })
    })
    await knex.schema.createTable('stocks', (t) => {
      t.increments('id')
      productAtWarehouse(t)
      t.integer('quantity').notNullable().defaultTo(0)
      ts(t, 'updated_at').notNullable()
      t.unique(['product_id', 'warehouse_id'], { indexName: 'stocks_product_id_warehouse_id_unique' })
      t.check('?? >= 0', ['quantity'], 'stocks_quantity_non_negative')
    })
    await knex.schema.createTable('stock_movements', (t) => {
      t.increments('id')
      productAtWarehouse(t)
      t.enu('type', [...MOVEMENT_TYPES]).notNullable()
      t.integer('quantity').notNullable()
      t.string('reason', 255).nullable()
      t.integer('user_id').unsigned().nullable().references('id').inTable('users').onDelete('SET NULL')
      ts(t, 'created_at').notNullable()
    })
    await knex.schema.createTable('invoices', (t) => {
      t.increments('id')
      companyId(t)
      t.integer('shop_id').unsigned().notNullable().references('id').inTable('shops')
      t.string('number', 64).notNullable()
      t.enu('type', [...INVOICE_TYPES]).notNullable()
      t.enu('status', [...INVOICE_STATUSES])
        .notNullable()
        .defaultTo('draft')
      money(t, 'total', STORE_COLUMN_LIMITS.invoiceTotal).defaultTo(0)
      ts(t, 'created_at').notNullable()
      ts(t, 'updated_at').notNullable()
      t.unique(['company_id', 'number'], { indexName: 'invoices_company_id_number_unique' })
    })
    await knex.schema.createTable('invoice_lines', (t) => {
      t.increments('id')
      t.integer('invoice_id')
        .unsigned()
        .notNullable()
        .references('id')
        .inTable('invoices')
        .onDelete('CASCADE')
      companyId(t)
      t.integer('product_id').unsigned().notNullable().references('id').inTable('products')
      t.integer('quantity').notNullable()
      money(t, 'unit_price')
      t.check('?? > 0', ['quantity'], 'invoice_lines_quantity_positive')
    })
    await knex.schema.createTable('api_keys', (t) => {
      t.increments('id')
      companyId(t)
      t.string('key_hash', 128).notNullable().unique({ indexName: 'api_keys_key_hash_unique' })
      t.string('key_prefix', 16).notNullable()
      t.string('name', 255).notNullable()
      ts(t, 'created_at').notNullable()
      ts(t, 'last_used_at', false).nullable()
      ts(t, 'revoked_at', false).nullable()
    })
    await knex.schema.createTable('idempotency_keys', (t) => {
      t.increments('id')
      companyId(t)
      t.string('idempotency_key', 255).notNullable()
      t.string('method', 10).notNullable()
      t.string('path', 2048).notNullable()
      t.string('request_hash', 128).notNullable()
      t.integer('status_code').nullable()
      t.text('response_body', 'mediumtext').nullable()
      ts(t, 'created_at').notNullable()
      t.unique(['company_id', 'idempotency_key'], { indexName: 'idempotency_keys_company_id_key_unique' })
    })
  },

  async down(knex) {
    for (const name of [...STORE_TABLES].reverse()) await knex.schema.dropTableIfExists(name)
  },
}
