import {
  type KeysetPage,
  type NumberedPage,
  type PageParams,
  paginate,
  parsePageParams,
} from '@hotpath/paginate'
import { storeMigrations } from '@hotpath/schema'
import { DIALECTS, useDatabase } from '@hotpath/test-services'
import type { Knex } from 'knex'
import { beforeAll, describe, expect, it } from 'vitest'
import { random, referenceOrder } from './fixtures.js'
import { MapCache } from './map-cache.js'

type Row = Record<string, unknown>
const SECRET = 'test-secret-of-32-bytes-or-more!!'
const STRATEGIES = ['optimized', 'cached', 'smart', 'fast'] as const
const BASE = Date.UTC(2025, 0, 1)

// docs/paginate.md's quick start, on the schema package's own tables: `products` and `categories` both
// have `company_id` (and `id`, `name`), so a lookup join must not make the user's WHERE ambiguous.
describe.each(DIALECTS)('%s: lookups on the store schema', (dialect) => {
  const db = useDatabase(dialect)
  let knex: Knex
  const expected = new Map<number, Row[]>()
  const categoryName = new Map<number, string>()

  beforeAll(async () => {
    knex = db.knex
    await knex.migrate.latest({ migrationSource: storeMigrations() })
    const r = random(16)
    for (const company_id of [1, 2]) {
      await knex('companies').insert({
        id: company_id,
        name: `c${company_id}`,
        email: `c${company_id}@x.test`,
      })
      for (let c = 1; c <= 3; c++) {
        const id = company_id * 10 + c
        await knex('categories').insert({ id, company_id, name: `cat-${company_id}-${c}` })
        categoryName.set(id, `cat-${company_id}-${c}`)
      }
    }
    const products = Array.from({ length: 47 }, (_, i) => {
      const company_id = i % 4 === 0 ? 2 : 1
      const category = Math.floor(r() * 4)
      return {
        id: i + 1,
        company_id,
        // Some products have no category: the LEFT JOIN keeps them.
        category_id: category === 0 ? null : company_id * 10 + category,
        name: `p${Math.floor(r() * 8)}`,
        sku: `sku-${i}`,
        sale_price: (Math.floor(r() * 5) * 2.5).toFixed(2),
        cost_price: '1.00',
        created_at: new Date(BASE + Math.floor(r() * 6) * 60_000),
        updated_at: new Date(BASE),
      }
    })
    await knex.batchInsert('products', products, 50)
    for (const company_id of [1, 2]) {
      expected.set(
        company_id,
        products.filter((p) => p.company_id === company_id),
      )
    }
  })

  const options = { allowed: ['name', 'sale_price', 'created_at', 'id'], default: ['-created_at'] }

  it.each(STRATEGIES.flatMap((s) => ['', 'name', '-sale_price,name'].map((o) => [s, o] as const)))(
    '%s walks every page of the quick start, ordering "%s", with the lookup column',
    async (strategy, ordering) => {
      const cache = new MapCache()
      for (const company_id of [1, 2]) {
        const fetch = (params: PageParams) =>
          paginate(knex('products').where({ company_id }), {
            strategy,
            params,
            lookups: (q) =>
              q
                .leftJoin('categories', 'categories.id', 'products.category_id')
                .select('categories.name as category'),
            unique: 'id',
            cache,
            cacheTags: [`company:${company_id}`],
            countThreshold: 5,
            checkpointEvery: 2,
            baseUrl: 'http://host/api/products',
            cursorSecret: SECRET,
          })
        const pages: Array<NumberedPage<Row> | KeysetPage<Row>> = []
        let query: Record<string, string> | null = { page_size: '4', ...(ordering ? { ordering } : {}) }
        while (query !== null && pages.length < 20) {
          const page = await fetch(
            parsePageParams(query, { defaultPageSize: 50, maxPageSize: 100, ordering: options }),
          )
          pages.push(page)
          query =
            page.next === null ? null : Object.fromEntries(new URL(page.next, 'http://host').searchParams)
        }
        const rows = pages.flatMap((p) => p.results)
        const want = expected.get(company_id)!
        expect(rows.map((row) => Number(row.id))).toEqual(
          referenceOrder(
            want.map((p) => ({ ...p, sale_price: Number(p.sale_price) })),
            ordering || '-created_at',
          ),
        )
        expect(pages.length).toBe(Math.ceil(want.length / 4))
        for (const row of rows) {
          expect(Number(row.company_id)).toBe(company_id)
          const category = row.category_id === null ? null : categoryName.get(Number(row.category_id))
          expect(row.category).toBe(category)
          // The product's own `name` is not replaced by the category's.
          expect(row.name).toMatch(/^p[0-9]$/)
        }
      }
    },
  )

  it.each(STRATEGIES)(
    "%s: the user's unqualified SELECT keeps the base table's columns",
    async (strategy) => {
      const page = await paginate(
        knex('products').select('id', 'name', 'created_at').where({ company_id: 1 }),
        {
          strategy,
          params: parsePageParams({ page_size: '100' }, { ordering: options }),
          lookups: (q) =>
            q
              .leftJoin('categories', 'categories.id', 'products.category_id')
              .select('categories.name as category'),
          cache: new MapCache(),
          cursorSecret: SECRET,
        },
      )
      const want = expected.get(1)!
      expect(page.results.map((row) => Number(row.id))).toEqual(referenceOrder(want, '-created_at'))
      expect(page.results.map((row) => Object.keys(row).sort())).toEqual(
        want.map(() => ['category', 'created_at', 'id', 'name']),
      )
      expect(page.results.every((row) => /^p[0-9]$/.test(String(row.name)))).toBe(true)
    },
  )
})
