import { paginate, parsePageParams } from '@hotpath/paginate'
import { DIALECTS, type Dialect, useDatabase } from '@hotpath/test-services'
import type { Knex } from 'knex'
import { beforeAll, describe, expect, it } from 'vitest'

const SECRET = 'explain-secret-explain-secret-32'

/** How each database says "this index, as a range bound on `column`". */
const rangeCheck: Record<
  Dialect,
  (knex: Knex, sql: string, bindings: readonly unknown[], index: string, column: string) => Promise<void>
> = {
  async mysql(knex, sql, bindings, index) {
    const [rows] = (await knex.raw(`explain ${sql}`, bindings as Knex.RawBinding[])) as [
      Array<Record<string, unknown>>,
    ]
    const events = rows.find((r) => r.table === 'events')
    expect({ type: events?.type, key: events?.key }).toEqual({ type: 'range', key: index })
  },
  async postgres(knex, sql, bindings, index, column) {
    const result = (await knex.raw(
      `explain (format json) ${sql.replace(/\$\d+/g, '?')}`,
      bindings as Knex.RawBinding[],
    )) as {
      rows: Array<{ 'QUERY PLAN': Array<{ Plan: PgNode }> }>
    }
    const nodes = flatten(result.rows[0]!['QUERY PLAN'][0]!.Plan)
    const scan = nodes.find((n) => n['Index Name'] === index)
    expect(scan?.['Node Type']).toMatch(/^Index (Only )?Scan/)
    expect(scan?.['Index Cond']).toMatch(new RegExp(`${column}.*[<>]`))
    expect(nodes.some((n) => n['Node Type'] === 'Seq Scan')).toBe(false)
  },
  async sqlite(knex, sql, bindings, index, column) {
    const rows = (await knex.raw(`explain query plan ${sql}`, bindings as Knex.RawBinding[])) as Array<{
      detail: string
    }>
    expect(rows.map((r) => r.detail).join('\n')).toMatch(
      new RegExp(
        `SEARCH events USING (COVERING )?INDEX ${index} \\(tenant=\\?( AND \\w+=\\?)* AND ${column}[<>]\\?\\)`,
      ),
    )
  },
}

interface PgNode {
  'Node Type': string
  'Index Name'?: string
  'Index Cond'?: string
  Plans?: PgNode[]
}

function flatten(node: PgNode): PgNode[] {
  return [node, ...(node.Plans ?? []).flatMap(flatten)]
}

describe.each(DIALECTS)('%s: the keyset seek is an index range', (dialect) => {
  const db = useDatabase(dialect)

  beforeAll(async () => {
    const knex = db.knex
    await knex.schema.createTable('events', (t) => {
      t.increments('id').primary()
      t.integer('tenant').notNullable()
      t.datetime('created_at', { precision: 0 }).notNullable()
      t.integer('score').nullable()
      t.string('name', 20).notNullable()
      t.index(['tenant', 'created_at', 'id'], 'events_seek')
    })
    // Same NULL placement everywhere: PostgreSQL's index says NULLS FIRST explicitly.
    await knex.raw(
      dialect === 'postgres'
        ? 'create index events_score on events (tenant, score nulls first, id)'
        : 'create index events_score on events (tenant, score, id)',
    )
    await knex.raw('create index events_mixed on events (tenant, name, created_at desc, id desc)')
    const base = Date.UTC(2024, 0, 1)
    const rows = Array.from({ length: 6000 }, (_, i) => ({
      tenant: i % 3,
      created_at: new Date(base + ((i * 7919) % 5000) * 60_000),
      score: i % 7 === 0 ? null : i % 50,
      name: `n${(i * 31) % 97}`,
    }))
    await knex.batchInsert('events', rows, 500)
    await knex.raw(dialect === 'mysql' ? 'analyze table events' : 'analyze')
  })

  it.each([
    ['-created_at', 'events_seek', 'created_at'],
    ['-score', 'events_score', 'score'],
    // Page 1 ends inside the NULL partition (NULLs first): the seek is `score IS NULL AND id > ?`.
    ['score', 'events_score', 'id'],
    ['name,-created_at', 'events_mixed', 'name'],
  ])(
    'ordering %s seeks with a range on %s (MariaDB: FORCE INDEX found in the schema)',
    async (ordering, index, column) => {
      const knex = db.knex
      const params = (query: Record<string, string>) =>
        parsePageParams(query, {
          defaultPageSize: 20,
          ordering: { allowed: ['created_at', 'score', 'name'], default: ['-created_at'] },
        })
      const fetch = (query: Record<string, string>) =>
        paginate(knex('events').where('tenant', 1), {
          strategy: 'fast',
          params: params(query),
          nullable: ['score'],
          cursorSecret: SECRET,
        })
      const first = await fetch({ ordering, page_size: '100' })
      const queries: Array<{ sql: string; bindings: readonly unknown[] }> = []
      const listen = (q: { sql: string; bindings: readonly unknown[] }) => queries.push(q)
      knex.on('query', listen)
      try {
        const second = await fetch({ ordering, cursor: first.nextCursor! })
        expect(second.results).toHaveLength(20)
      } finally {
        knex.off('query', listen)
      }
      expect(queries).toHaveLength(1)
      await rangeCheck[dialect](knex, queries[0]!.sql, queries[0]!.bindings, index, column)
    },
  )

  it('forces no index when none starts with the equality-filtered columns', async () => {
    const knex = db.knex
    const queries: string[] = []
    const listen = (q: { sql: string }) => queries.push(q.sql)
    knex.on('query', listen)
    try {
      const page = await paginate(knex('events').where('score', 3), {
        strategy: 'fast',
        params: parsePageParams({}, { ordering: { allowed: ['created_at'], default: ['-created_at'] } }),
        cursorSecret: SECRET,
      })
      expect(page.results.length).toBeGreaterThan(0)
    } finally {
      knex.off('query', listen)
    }
    expect(queries.filter((q) => /force index/i.test(q))).toEqual([])
  })
})
