import {
  type KeysetPage,
  type NumberedPage,
  type PageParams,
  PaginationError,
  paginate,
  parsePageParams,
} from '@hotpath/paginate'
import { DIALECTS, useDatabase } from '@hotpath/test-services'
import type { Knex } from 'knex'
import { beforeAll, describe, expect, it } from 'vitest'
import { createItems, makeItems, referenceOrder } from './fixtures.js'
import { MapCache } from './map-cache.js'

type Row = Record<string, unknown>
const SECRET = 'test-secret-of-32-bytes-or-more!!'
const ORDERINGS = [
  'score',
  '-score,name',
  'name,-created_at',
  '-created_at,score,-name',
  '-created_at',
  'created_at',
]
const paramOptions = {
  defaultPageSize: 10,
  maxPageSize: 100,
  ordering: { allowed: ['score', 'name', 'created_at', 'id'], default: ['-created_at'] },
}

function params(query: Record<string, string>): PageParams {
  return parsePageParams(query, paramOptions)
}

/** Follows `next` links from `first` (the query string of page 1), collecting pages. */
async function walk<P extends NumberedPage<Row> | KeysetPage<Row>>(
  first: Record<string, string>,
  fetch: (p: PageParams) => Promise<P>,
  link: (p: P) => string | null = (p) => p.next,
): Promise<P[]> {
  const pages: P[] = []
  let query: Record<string, string> | null = first
  while (query !== null && pages.length < 100) {
    const page = await fetch(params(query))
    pages.push(page)
    const url = link(page)
    query = url === null ? null : Object.fromEntries(new URL(url, 'http://host').searchParams)
  }
  return pages
}

const ids = (pages: Array<{ results: Row[] }>) => pages.flatMap((p) => p.results.map((r) => Number(r.id)))

async function rejection(p: Promise<unknown>): Promise<PaginationError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  )
  if (!(e instanceof PaginationError)) throw new Error(`expected a PaginationError, got ${String(e)}`)
  return e
}

describe.each(DIALECTS)('%s', (dialect) => {
  const db = useDatabase(dialect)
  let knex: Knex
  let tenant1: Row[]
  const items = () => knex('items').where('tenant', 1)

  beforeAll(async () => {
    knex = db.knex
    await createItems(knex, 'items')
    await knex.batchInsert(
      'items',
      makeItems(161, (i) => (i % 5 === 0 ? 2 : 1), 7),
      50,
    )
    await knex.batchInsert(
      'items',
      makeItems(60, () => 3, 11),
      50,
    )
    tenant1 = await knex('items').where('tenant', 1)
    await knex.schema.createTable('tenants', (t) => {
      t.integer('id').primary()
      t.string('label', 20).notNullable()
    })
    await knex('tenants').insert([1, 2, 3, 4].map((id) => ({ id, label: `tenant-${id}` })))
  })

  it.each(['optimized', 'fast'] as const)(
    'joins lookups (option or in the query) onto the page rows only (%s)',
    async (strategy) => {
      const ordering = '-created_at,score'
      const expected = referenceOrder(tenant1, ordering)
      const viaOption = await walk({ tenant: '1', ordering }, (p) =>
        paginate(items(), {
          strategy,
          params: p,
          nullable: ['score'],
          cursorSecret: SECRET,
          lookups: (q) => q.leftJoin('tenants', 'tenants.id', 'items.tenant').select('tenants.label'),
        }),
      )
      const inQuery = await walk({ tenant: '1', ordering }, (p) =>
        paginate(
          knex('items')
            .leftJoin('tenants', 'tenants.id', 'items.tenant')
            .where('items.tenant', 1)
            .select('items.*', 'tenants.label'),
          { strategy, params: p, nullable: ['score'], cursorSecret: SECRET },
        ),
      )
      for (const pages of [viaOption, inQuery]) {
        expect(ids(pages)).toEqual(expected)
        expect(new Set(pages.flatMap((p) => p.results.map((r) => r.label)))).toEqual(new Set(['tenant-1']))
      }
    },
  )

  describe.each(ORDERINGS)('ordering %s', (ordering) => {
    const first = { tenant: '1', ordering }

    it.each(['optimized', 'cached', 'smart'] as const)(
      'walking by page number (%s) gives every row once, in order',
      async (strategy) => {
        const cache = new MapCache()
        const pages = await walk(first, (p) =>
          paginate(items(), {
            strategy,
            params: p,
            nullable: ['score'],
            cache,
            countThreshold: 40,
            checkpointEvery: 2,
            baseUrl: 'http://host/api/items',
          }),
        )
        expect(ids(pages)).toEqual(referenceOrder(tenant1, ordering))
        const last = pages[pages.length - 1]!
        expect(last.next).toBeNull()
        expect(pages.map((p) => p.page)).toEqual(pages.map((_, i) => i + 1))
        if (strategy === 'smart') {
          expect(pages[0]!.toJSON().count_is_estimate).toBe(true)
          // Pages 3..13 sought from boundaries of pages 2, 4 … 12 (orderings on nullable columns use OFFSET).
          const boundaries = [...cache.entries.keys()].filter((k) => k.includes(':boundary:'))
          expect(boundaries).toHaveLength(ordering.includes('score') ? 0 : 6)
        } else {
          expect(pages[0]!.toJSON()).toMatchObject({
            count: tenant1.length,
            count_is_estimate: false,
            total_pages: 13,
          })
        }
        expect(pages[1]!.previous).toBe(
          `http://host/api/items?tenant=1&ordering=${encodeURIComponent(ordering)}&page=1&page_size=10`,
        )
        const second = pages[1]!
        expect(second.linkHeader()).toBe(`<${second.next}>; rel="next", <${second.previous}>; rel="prev"`)
        expect(second.toRelay().edges.map((e) => e.node)).toEqual(second.results)
        expect(second.toRelay().pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: true })
      },
    )

    it('walking by cursor forwards then backwards gives every row once, in order, on the same pages', async () => {
      const fetch = (p: PageParams) =>
        paginate(items(), { strategy: 'fast', params: p, nullable: ['score'], cursorSecret: SECRET })
      const forwards = await walk(first, fetch)
      expect(ids(forwards)).toEqual(referenceOrder(tenant1, ordering))
      expect(forwards.map((p) => p.results.length)).toEqual([...Array(12).fill(10), tenant1.length - 120])
      expect(forwards[0]!.previousCursor).toBeNull()
      const last = forwards[forwards.length - 1]!
      expect(last.nextCursor).toBeNull()
      const backwards = await walk(
        Object.fromEntries(new URL(last.previous!, 'http://host').searchParams),
        fetch,
        (p) => p.previous,
      )
      expect(backwards.map((p) => ids([p]))).toEqual(
        forwards
          .slice(0, -1)
          .reverse()
          .map((p) => ids([p])),
      )
      expect(backwards[backwards.length - 1]!.previousCursor).toBeNull()
    })
  })

  it('a keyset walk during concurrent inserts neither repeats nor skips pre-existing rows', async () => {
    const before = (await knex('items').where('tenant', 3).select('id')).map((r) => Number(r.id))
    const seen: number[] = []
    let query: Record<string, string> | null = { ordering: '-score,name' }
    let round = 0
    while (query !== null) {
      const p = params(query)
      const [page] = await Promise.all([
        paginate(knex('items').where('tenant', 3), {
          strategy: 'fast',
          params: p,
          nullable: ['score'],
          cursorSecret: SECRET,
        }),
        knex('items').insert(makeItems(3, () => 3, 100 + round++)),
      ])
      seen.push(...ids([page]))
      query = page.next === null ? null : Object.fromEntries(new URL(page.next, 'http://host').searchParams)
    }
    expect(round).toBeGreaterThan(5)
    expect(new Set(seen).size).toBe(seen.length)
    expect(before.filter((id) => !seen.includes(id))).toEqual([])
  })

  it('the cached count is invalidated by a write through its table tag and the caller tags', async () => {
    await knex('items').insert(makeItems(4, () => 4, 5))
    const cache = new MapCache()
    const count = async () =>
      (
        await paginate(knex('items').where('tenant', 4), {
          strategy: 'cached',
          params: params({}),
          cache,
          cacheTags: ['tenant:4'],
        })
      ).count
    expect(await count()).toBe(4)
    await knex('items').insert(makeItems(1, () => 4, 6))
    expect(await count()).toBe(4) // served from the cache
    cache.invalidateTags(['tenant:5'])
    expect(await count()).toBe(4)
    cache.invalidateTags(['tenant:4'])
    expect(await count()).toBe(5)
    await knex('items').insert(makeItems(1, () => 4, 7))
    cache.invalidateTags(['paginate:items'])
    expect(await count()).toBe(6)
    expect(cache.loads).toBe(3)
  })

  it('cacheRows serves the page from the cache until a tag invalidation', async () => {
    await knex('items').insert(makeItems(3, () => 5, 8))
    const cache = new MapCache()
    const page = async () =>
      ids([
        await paginate(knex('items').where('tenant', 5), {
          strategy: 'cached',
          params: params({ ordering: '-id' }),
          cache,
          cacheRows: true,
          cacheTags: ['tenant:5'],
        }),
      ])
    const before = await page()
    expect(before).toHaveLength(3)
    const [added] = (await knex('items').insert(
      makeItems(1, () => 5, 9),
      ['id'],
    )) as Array<number | { id: number }>
    const addedId = typeof added === 'object' ? added.id : added
    expect(await page()).toEqual(before)
    cache.invalidateTags(['tenant:5'])
    expect(await page()).toEqual([Number(addedId), ...before])
  })

  describe('bad input', () => {
    const fast = (query: Knex.QueryBuilder, p: PageParams, secret = SECRET) =>
      paginate(query, { strategy: 'fast', params: p, nullable: ['score'], cursorSecret: secret })

    it.each(['optimized', 'cached', 'smart'] as const)(
      'a page past the end is invalid_page 404 (%s)',
      async (strategy) => {
        const e = await rejection(
          paginate(items(), {
            strategy,
            params: params({ page: '14' }),
            cache: new MapCache(),
            checkpointEvery: 2,
          }),
        )
        expect([e.code, e.status]).toEqual(['invalid_page', 404])
      },
    )

    it('serves page 1 of an empty list', async () => {
      const page = await paginate(knex('items').where('tenant', 99), {
        strategy: 'optimized',
        params: params({}),
      })
      expect(page.toJSON()).toEqual({
        count: 0,
        count_is_estimate: false,
        page: 1,
        page_size: 10,
        total_pages: 1,
        next: null,
        previous: null,
        results: [],
      })
      expect(page.linkHeader()).toBe('')
    })

    it('a changed byte, another filter, ordering, secret or tenant makes the cursor invalid_cursor 400', async () => {
      const page = await fast(items(), params({ ordering: '-score,name' }))
      const cursor = page.nextCursor!
      expect(cursor).toMatch(/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/)
      const flipped = (i: number) =>
        cursor.slice(0, i) + (cursor[i] === 'A' ? 'B' : 'A') + cursor.slice(i + 1)
      const attempts: Array<Promise<unknown>> = [
        fast(items(), params({ ordering: '-score,name', cursor: flipped(3) })),
        fast(items(), params({ ordering: '-score,name', cursor: flipped(cursor.length - 2) })),
        fast(items(), params({ ordering: '-score,name', cursor: cursor.replace('.', '') })),
        fast(knex('items').where('tenant', 2), params({ ordering: '-score,name', cursor })),
        fast(items().where('name', 'alpha'), params({ ordering: '-score,name', cursor })),
        fast(items(), params({ ordering: 'score,name', cursor })),
        fast(items(), params({ ordering: '-score,name', cursor }), 'another-secret-another-secret!!'),
        paginate(items(), { strategy: 'optimized', params: params({ ordering: '-score,name', cursor }) }),
      ]
      for (const attempt of attempts) {
        const e = await rejection(attempt)
        expect([e.code, e.status]).toEqual(['invalid_cursor', 400])
      }
      const ok = await fast(items(), params({ ordering: '-score,name', cursor }))
      expect(ok.results).toHaveLength(10)
    })

    it('fast refuses page numbers; a missing cache or a NULL in the unique column is a 500', async () => {
      expect((await rejection(fast(items(), params({ page: '2' })))).code).toBe('invalid_page')
      const noCache = { strategy: 'cached', params: params({}) } as unknown as Parameters<typeof paginate>[1]
      const e = await rejection(paginate(items(), noCache))
      expect([e.code, e.status]).toEqual(['invalid_option', 500])
      // The tiebreaker must be NOT NULL. Where the NULLs land (so which walk meets one) depends on the database.
      const outcomes = await Promise.all(
        ['name', '-name'].map((ordering) =>
          walk({ ordering }, (p) =>
            paginate(items(), { strategy: 'fast', params: p, unique: 'score', cursorSecret: SECRET }),
          ).then(
            () => 'walked',
            (err: unknown) => (err instanceof PaginationError ? `${err.code} ${err.status}` : String(err)),
          ),
        ),
      )
      expect(outcomes).toContain('invalid_option 500')
    })
  })

  it.each(['optimized', 'fast'] as const)(
    'reads nullable sort columns from the schema when not declared (%s)',
    async (strategy) => {
      for (const ordering of ['score', '-score,name']) {
        const pages = await walk({ tenant: '1', ordering }, (p) =>
          paginate(items(), { strategy, params: p, cursorSecret: SECRET }),
        )
        expect(ids(pages)).toEqual(referenceOrder(tenant1, ordering))
      }
    },
  )

  it('gives the keyset envelope, Link header and a Relay connection whose edge cursors continue the walk', async () => {
    const p1 = await paginate(items(), {
      strategy: 'fast',
      params: params({ ordering: 'name', tenant: '1' }),
      cursorSecret: SECRET,
      baseUrl: 'http://host/api/items',
    })
    const body = p1.toJSON()
    expect(Object.keys(body)).toEqual([
      'page_size',
      'next_cursor',
      'previous_cursor',
      'next',
      'previous',
      'results',
    ])
    expect(body.next).toBe(
      `http://host/api/items?ordering=name&tenant=1&cursor=${p1.nextCursor}&page_size=10`,
    )
    expect(p1.linkHeader()).toBe(`<${body.next}>; rel="next"`)
    const relay = p1.toRelay()
    expect(relay.edges.map((e) => e.node)).toEqual(p1.results)
    expect(relay.pageInfo).toMatchObject({ hasNextPage: true, hasPreviousPage: false })
    const fromThird = await paginate(items(), {
      strategy: 'fast',
      params: params({ ordering: 'name', cursor: relay.edges[2]!.cursor, page_size: '3' }),
      cursorSecret: SECRET,
    })
    expect(ids([fromThird])).toEqual(ids([p1]).slice(3, 6))
  })
})
