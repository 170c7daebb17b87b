import {
  createIndex,
  createIndexes,
  dropIndex,
  indexName,
  listIndexes,
  SchemaError,
  storeMigrations,
} from '@hotpath/schema'
import { DIALECTS, useDatabase } from '@hotpath/test-services'
import { beforeAll, describe, expect, it } from 'vitest'

const isCode = (code: string) => (e: unknown) => e instanceof SchemaError && e.code === code

describe('indexName', () => {
  it('is deterministic and stays under 61 characters', () => {
    expect(indexName('products', ['company_id', 'created_at', 'id'])).toBe(
      'products_company_id_created_at_id_index',
    )
    expect(indexName('products', ['sku'], true)).toBe('products_sku_unique')
    const long = indexName('a_very_long_table_name_for_tests', [
      'first_long_column',
      'second_long_column',
      'id',
    ])
    expect(long.length).toBeLessThanOrEqual(60)
    expect(long).toMatch(/^a_very_long_table_name_for_tests_first_long_column_[0-9a-f]{8}$/)
    expect(
      indexName('a_very_long_table_name_for_tests', ['first_long_column', 'second_long_column', 'id']),
    ).toBe(long)
    expect(
      indexName('a_very_long_table_name_for_tests', ['first_long_column', 'second_long_column', 'x']),
    ).not.toBe(long)
  })
})

describe.each(DIALECTS)('index toolkit on %s', (dialect) => {
  const db = useDatabase(dialect)

  beforeAll(async () => {
    await db.knex.schema.createTable('gadgets', (t) => {
      t.increments('id')
      t.integer('shop').notNullable()
      t.string('code', 32).notNullable()
      t.integer('rank').notNullable()
    })
    await db.knex('gadgets').insert([
      { shop: 1, code: 'a', rank: 1 },
      { shop: 1, code: 'b', rank: 2 },
    ])
  })

  it('creates an index once, found in the catalog with its columns in order', async () => {
    expect(await createIndex(db.knex, { table: 'gadgets', columns: ['shop', 'rank', 'id'] })).toEqual({
      name: 'gadgets_shop_rank_id_index',
      created: true,
    })
    expect(await createIndex(db.knex, { table: 'gadgets', columns: ['shop', 'rank', 'id'] })).toEqual({
      name: 'gadgets_shop_rank_id_index',
      created: false,
    })
    const found = (await listIndexes(db.knex, 'gadgets')).find((i) => i.name === 'gadgets_shop_rank_id_index')
    expect(found).toMatchObject({
      columns: ['shop', 'rank', 'id'],
      unique: false,
      primary: false,
      valid: true,
    })
  })

  it('builds unique indexes that the database enforces', async () => {
    const { name } = await createIndex(db.knex, { table: 'gadgets', columns: ['shop', 'code'], unique: true })
    expect(name).toBe('gadgets_shop_code_unique')
    await expect(db.knex('gadgets').insert({ shop: 1, code: 'a', rank: 3 })).rejects.toThrow()
  })

  it('refuses a name already used on other columns', async () => {
    await expect(
      createIndex(db.knex, { table: 'gadgets', columns: ['code'], name: 'gadgets_shop_rank_id_index' }),
    ).rejects.toSatisfy(isCode('invalid_index'))
  })

  it('drops an index once, by columns or by name', async () => {
    await createIndex(db.knex, { table: 'gadgets', columns: ['code'] })
    expect(await dropIndex(db.knex, { table: 'gadgets', columns: ['code'] })).toEqual({
      name: 'gadgets_code_index',
      dropped: true,
    })
    expect(await dropIndex(db.knex, { table: 'gadgets', name: 'gadgets_code_index' })).toEqual({
      name: 'gadgets_code_index',
      dropped: false,
    })
    expect((await listIndexes(db.knex, 'gadgets')).map((i) => i.name)).not.toContain('gadgets_code_index')
  })

  it('builds online only outside a transaction where the database demands it', async () => {
    const inTrx = db.knex.transaction((trx) => createIndex(trx, { table: 'gadgets', columns: ['rank'] }))
    if (dialect === 'postgres') {
      await expect(inTrx).rejects.toSatisfy(isCode('transaction_not_allowed'))
      const offline = await db.knex.transaction((trx) =>
        createIndex(trx, { table: 'gadgets', columns: ['rank'], online: false }),
      )
      expect(offline.created).toBe(true)
    } else {
      expect((await inTrx).created).toBe(true)
    }
  })

  it('builds several indexes in one call, skipping those already there', async () => {
    const specs = [
      { table: 'gadgets', columns: ['code', 'id'] },
      { table: 'gadgets', columns: ['rank', 'code'] },
      { table: 'gadgets', columns: ['shop', 'rank', 'id'] },
    ]
    expect(await createIndexes(db.knex, specs)).toEqual([
      { name: 'gadgets_code_id_index', created: true },
      { name: 'gadgets_rank_code_index', created: true },
      { name: 'gadgets_shop_rank_id_index', created: false },
    ])
    expect((await createIndexes(db.knex, specs)).map((r) => r.created)).toEqual([false, false, false])
    const names = (await listIndexes(db.knex, 'gadgets')).map((i) => i.name)
    expect(names).toEqual(expect.arrayContaining(['gadgets_code_id_index', 'gadgets_rank_code_index']))
  })

  it('marks the index migration as running outside a transaction', async () => {
    const migration = (await storeMigrations().getMigration('20260101000002_store_indexes')) as {
      config?: { transaction?: boolean }
    }
    expect(migration.config?.transaction).toBe(false)
  })
})
