import {
  type KeysetPage,
  type NumberedPage,
  type PageParams,
  type PaginateOptions,
  paginate,
  parsePageParams,
} from '@hotpath/paginate'
import { useDatabase } from '@hotpath/test-services'
import type { Knex } from 'knex'
import { describe, expect, expectTypeOf, it } from 'vitest'

type Row = { id: number; name: string }

/** Type-level checks: tsc fails the typecheck when a strategy stops returning its page kind. */
function pageKinds(q: Knex.QueryBuilder, params: PageParams, options: PaginateOptions) {
  expectTypeOf(paginate<Row>(q, { strategy: 'fast', params, cursorSecret: 's' })).resolves.toEqualTypeOf<
    KeysetPage<Row>
  >()
  expectTypeOf(paginate<Row>(q, { strategy: 'optimized', params })).resolves.toEqualTypeOf<
    NumberedPage<Row>
  >()
  expectTypeOf(paginate<Row>(q, options)).resolves.toEqualTypeOf<NumberedPage<Row> | KeysetPage<Row>>()
  // @ts-expect-error: 'fast' needs a cursorSecret
  void paginate(q, { strategy: 'fast', params })
  // @ts-expect-error: 'cached' needs a cache
  void paginate(q, { strategy: 'cached', params })
}

describe('types', () => {
  const db = useDatabase('sqlite')

  it('each strategy resolves to its page kind, told apart by `kind`', async () => {
    expectTypeOf(pageKinds).toBeFunction()
    const knex = db.knex
    await knex.schema.createTable('t', (t) => {
      t.increments('id')
      t.string('name')
    })
    await knex('t').insert([{ name: 'a' }, { name: 'b' }])
    const params = parsePageParams({}, { ordering: { allowed: ['name'], default: ['name'] } })
    const options: PaginateOptions = {
      strategy: 'fast',
      params,
      cursorSecret: 'secret-secret-secret-secret!',
    }
    const page = await paginate<Row>(knex('t'), options)
    expect(page.kind).toBe('keyset')
    if (page.kind === 'keyset') expectTypeOf(page.nextCursor).toEqualTypeOf<string | null>()
    expect(page.results.map((r) => r.name)).toEqual(['a', 'b'])
  })
})
