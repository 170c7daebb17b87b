// bench/paginate: page latency at depth on 1,000,000 rows (company 1: 400,000), page size 50,
// ordering -created_at,-id, the list LEFT JOINed with categories and suppliers.
// Variants: naive OFFSET, knex-paginate, optimized (deferred join), cached, smart, fast (keyset);
// then exact COUNT vs the smart estimate. `npm run bench -- paginate` (build @hotpath/paginate first).
// Env: MYSQL_URL (default mysql://root@127.0.0.1:3306/test), POSTGRES_URL (optional), BENCH_PAGINATE_DIALECTS.
import { cpus, totalmem } from 'node:os'
import { type PageParams, type PaginationCache, paginate, parsePageParams } from '@hotpath/paginate'
import type { Knex } from 'knex'
import { attachPaginate } from 'knex-paginate'
import { type BenchDialect, COMPANY_ROWS, connect, DATABASE, ensureData } from './data.js'
import { median, ms, printTable } from './measure.js'

const SIZE = 50
const LAST = Math.ceil(COMPANY_ROWS / SIZE)
const PAGES = [1, 100, 1000, 4000, LAST]
const SECRET = 'bench-secret-bench-secret-bench!'

/** A Map-backed cache (what `cached`/`smart` need: getOrSet). */
class MapCache implements PaginationCache {
  private readonly map = new Map<string, unknown>()
  async getOrSet<T>(key: string, loader: () => Promise<T>): Promise<T> {
    if (this.map.has(key)) return this.map.get(key) as T
    const v = await loader()
    this.map.set(key, v)
    return v
  }
}

const list = (knex: Knex) =>
  knex('products')
    .leftJoin('categories', 'categories.id', 'products.category_id')
    .leftJoin('suppliers', 'suppliers.id', 'products.supplier_id')
    .where('products.company_id', 1)
    .select('products.*', 'categories.name as category_name', 'suppliers.name as supplier_name')

// What the library is given: the base query (filters only) and the to-one lookups for the page rows.
const base = (knex: Knex) => knex('products').where('products.company_id', 1)
const lookups = (q: Knex.QueryBuilder) => {
  q.leftJoin('categories', 'categories.id', 'products.category_id')
    .leftJoin('suppliers', 'suppliers.id', 'products.supplier_id')
    .select('categories.name as category_name', 'suppliers.name as supplier_name')
}

const params = (query: Record<string, string>): PageParams =>
  parsePageParams(
    { ordering: '-created_at,-id', page_size: String(SIZE), ...query },
    {
      defaultPageSize: SIZE,
      maxPageSize: 100,
      ordering: { allowed: ['created_at', 'id'], default: ['-created_at'] },
    },
  )

async function bench(dialect: BenchDialect, url: string): Promise<void> {
  const knex = await connect(dialect, url)
  try {
    const built = await ensureData(knex, dialect)
    const version = await knex.raw('select version() as v')
    const v = dialect === 'mysql' ? version[0][0].v : version.rows[0].v
    console.log(`\n## ${dialect} (${String(v).split(' ').slice(0, 2).join(' ')}), database ${DATABASE}`)
    console.log(built > 0 ? `data built in ${built.toFixed(1)} s` : 'data present (kept from a previous run)')

    // Walk every page by cursor once: proves the keyset walk at scale and collects each target page's cursor.
    const cursors = new Map<number, string>()
    const seen = new Set<number>()
    let cursor: string | null = null
    const walkStart = performance.now()
    for (let page = 1; page <= LAST; page++) {
      if (cursor !== null && PAGES.includes(page)) cursors.set(page, cursor)
      const p = await paginate(base(knex), {
        lookups,
        strategy: 'fast',
        params: params(cursor ? { cursor } : {}),
        cursorSecret: SECRET,
      })
      for (const r of p.results) seen.add(Number(r.id))
      cursor = p.nextCursor
      if (cursor === null) break
    }
    const walkS = (performance.now() - walkStart) / 1000
    console.log(`keyset walk: ${seen.size} distinct rows in ${LAST} pages, ${walkS.toFixed(1)} s`)
    if (seen.size !== COMPANY_ROWS)
      throw new Error(`keyset walk saw ${seen.size} rows, expected ${COMPANY_ROWS}`)

    const cached = new MapCache()
    const smart = new MapCache()
    const variants: Array<[string, (page: number) => Promise<unknown>]> = [
      [
        'naive OFFSET (rows only)',
        (page) =>
          list(knex)
            .orderBy([
              { column: 'products.created_at', order: 'desc' },
              { column: 'products.id', order: 'desc' },
            ])
            .limit(SIZE)
            .offset((page - 1) * SIZE),
      ],
      [
        'knex-paginate (COUNT + OFFSET)',
        (page) =>
          list(knex)
            .orderBy([
              { column: 'products.created_at', order: 'desc' },
              { column: 'products.id', order: 'desc' },
            ])
            .paginate({ perPage: SIZE, currentPage: page, isLengthAware: true }),
      ],
      [
        'optimized (COUNT ∥ deferred join)',
        (page) =>
          paginate(base(knex), { lookups, strategy: 'optimized', params: params({ page: String(page) }) }),
      ],
      [
        'cached (cached COUNT, deferred join)',
        (page) =>
          paginate(base(knex), {
            lookups,
            strategy: 'cached',
            cache: cached,
            params: params({ page: String(page) }),
          }),
      ],
      [
        'smart (estimate, warm boundaries)',
        (page) =>
          paginate(base(knex), {
            lookups,
            strategy: 'smart',
            cache: smart,

            params: params({ page: String(page) }),
          }),
      ],
      [
        'fast (keyset)',
        (page) =>
          paginate(base(knex), {
            lookups,
            strategy: 'fast',
            cursorSecret: SECRET,

            params: params(page === 1 ? {} : { cursor: cursors.get(page)! }),
          }),
      ],
    ]
    const results = new Map<string, number[]>()
    for (const [name, fn] of variants) {
      const row: number[] = []
      for (const page of PAGES)
        row.push(await median(() => fn(page), page >= 1000 && name.startsWith('naive') ? 5 : 9))
      results.set(name, row)
      console.log(`  measured ${name}`)
    }
    const head = ['median ms (page →)', ...PAGES.map((p) => (p === LAST ? `${p} (last)` : String(p)))]
    printTable(
      head,
      [...results].map(([name, row]) => [name, ...row.map(ms)]),
    )
    const naive = results.get('naive OFFSET (rows only)')!
    console.log('\nspeed-up over naive OFFSET (× faster)')
    printTable(
      head,
      [...results]
        .filter(([n]) => !n.startsWith('naive'))
        .map(([name, row]) => [name, ...row.map((t, i) => `${(naive[i]! / t).toFixed(1)}×`)]),
    )
    const fast = results.get('fast (keyset)')!
    const opt = results.get('cached (cached COUNT, deferred join)')!
    console.log(
      `\nkeyset page 4000 / page 1: ${(fast[3]! / fast[0]!).toFixed(2)}×, last / page 1: ${(fast[4]! / fast[0]!).toFixed(2)}× (goal ≤ 2×)`,
    )
    console.log(
      `deferred join vs naive OFFSET at page 4000: ${(naive[3]! / opt[3]!).toFixed(1)}× faster (goal ≥ 5×)`,
    )

    // The best exact COUNT: on the base query, an index-only scan of (company_id, …).
    const count = await median(() => base(knex).count({ n: '*' }), 7)
    const probe = base(knex).select('products.id').toSQL()
    const explain = await median(
      () =>
        knex.raw(`${dialect === 'mysql' ? 'explain' : 'explain (format json)'} ${probe.sql}`, probe.bindings),
      15,
    )
    const smartCache = new MapCache()
    const smartCold = await median(async () => {
      const fresh = new MapCache()
      await paginate(base(knex), { lookups, strategy: 'smart', cache: fresh, params: params({}) })
    }, 9)
    const smartWarm = await median(
      () => paginate(base(knex), { lookups, strategy: 'smart', cache: smartCache, params: params({}) }),
      15,
    )
    const page1 = await paginate(base(knex), { lookups, strategy: 'smart', params: params({}) })
    console.log(
      `\ncount of company 1 (exact ${COMPANY_ROWS}; smart says ${page1.count}, estimate: ${page1.countIsEstimate})`,
    )
    printTable(
      ['count', 'median ms', 'vs exact COUNT'],
      [
        ['exact COUNT(*)', ms(count), '1×'],
        ['smart estimate (EXPLAIN only)', ms(explain), `${(count / explain).toFixed(0)}× faster`],
        [
          'smart page 1, cold cache (estimate + rows)',
          ms(smartCold),
          `${(count / smartCold).toFixed(1)}× faster`,
        ],
        ['smart page 1, warm cache (rows only)', ms(smartWarm), `${(count / smartWarm).toFixed(1)}× faster`],
      ],
    )

    // The first visit deep into a list with an empty cache computes the boundary chain (one index-only
    // query per 10 pages); every later visit is a seek. Single shots, not medians.
    const deep = new MapCache()
    const deepParams = (page: number) => ({
      lookups,
      strategy: 'smart' as const,
      cache: deep,

      params: params({ page: String(page) }),
    })
    let t = performance.now()
    await paginate(base(knex), deepParams(4000))
    const chain = performance.now() - t
    t = performance.now()
    await paginate(base(knex), deepParams(4001))
    const after = performance.now() - t
    console.log(
      `\nsmart page 4000 with an empty cache: ${ms(chain)} ms (400 boundaries); page 4001 next: ${ms(after)} ms`,
    )
  } finally {
    await knex.destroy()
  }
}

attachPaginate()
console.log(
  `machine: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}`,
)
const wanted = (process.env.BENCH_PAGINATE_DIALECTS ?? 'mysql,postgres').split(',')
if (wanted.includes('mysql'))
  await bench('mysql', process.env.MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test')
if (wanted.includes('postgres'))
  await bench('postgres', process.env.POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test')
