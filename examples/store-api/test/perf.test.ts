import { spawnSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import {
  formatNotStored,
  formatReadsByKind,
  formatTable,
  type PerfArgs,
  parseServerMetrics,
  perfCommand,
  speedup,
  summariseRounds,
} from '../src/perf/perf-command.js'
import { WriteLog } from '../src/perf/read-back.js'
import type { PerfPhase, PerfReport } from '../src/perf/report-html.js'
import { newCompany } from './support/client.js'
import { populate } from './support/fixtures.js'
import { useStack } from './support/stack.js'

const stack = useStack('sqlite+memory')
const out = mkdtempSync(join(tmpdir(), 'hotpath-perf-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

/** `perf --url` against the stack, for a new company with `products` products; what it printed too. */
async function perfOnStack(
  company: string,
  products: number,
  args: Pick<PerfArgs, 'users' | 'requests' | 'warmup'>,
) {
  const { api } = await newCompany(() => stack.url, company)
  await populate(api, company.slice(0, 1), products)
  const printed: string[] = []
  const outcome = await perfCommand(
    { ...args, url: stack.url, key: api.key, writeRatios: [0, 0.2], out, cache: 'both' },
    {},
    (s) => printed.push(s),
  )
  return { ...outcome, printed }
}

/** `store-api perf` run from the CLI with `args` (no database: it must refuse before any load). */
function perfCli(...args: string[]) {
  const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url))
  return spawnSync(process.execPath, ['--import', 'tsx', cli, 'perf', ...args], {
    encoding: 'utf8',
    env: { ...process.env, DATABASE_URL: '' },
  })
}

it('perf --url runs the sweep: one phase per write ratio, with server CPU, hit rate and read-backs', async () => {
  const { report, jsonPath, htmlPath, printed } = await perfOnStack('Perfco', 30, { users: 4, requests: 25 })
  expect(report.writeRatios).toEqual([0, 0.2])
  expect(report.phases.map((p) => [p.writeRatio, p.cache])).toEqual([
    [0, 'server'],
    [0.2, 'server'],
  ])
  for (const { result, serverCpuMicrosPerRequest, redisCpuMicrosPerRequest } of report.phases) {
    // No REDIS_URL in this run's environment: nothing to read Redis' CPU from.
    expect(redisCpuMicrosPerRequest).toBeNull()
    expect(result.requests).toBe(100)
    expect(result.errors).toBe(0)
    expect(result.successRate, JSON.stringify(result.statuses)).toBe(1)
    expect(result.cacheableReads).toBeGreaterThan(0)
    expect(result.cacheHitRate).toBeGreaterThan(0)
    expect(result.latency.p50).toBeLessThanOrEqual(result.latency.p99)
    expect(result.staleReads).toBe(0)
    expect(serverCpuMicrosPerRequest).toBeGreaterThan(0)
  }
  for (const { result, notStored } of report.phases) {
    // Every read carrying X-Cache is counted under its kind of request, hits too.
    const kinds = Object.values(result.readsByKind)
    expect(kinds.reduce((n, k) => n + k.reads, 0)).toBe(result.cacheableReads)
    expect(kinds.reduce((n, k) => n + k.hits, 0)).toBe((result.xCache.HIT ?? 0) + (result.xCache.STALE ?? 0))
    expect(Object.keys(result.readsByKind)).toContain('products list')
    expect(Array.isArray(notStored)).toBe(true)
  }
  const [readOnly, writing] = report.phases.map((p) => p.result)
  expect(readOnly?.readBacks).toBe(0)
  // Every response is a mix read (all cached, so all carry X-Cache), a write or a read-back; every
  // write is read back, but a user's last write may be cut off by the end of the run.
  const readBacks = writing?.readBacks ?? 0
  const writes = 100 - (writing?.cacheableReads ?? 0) - readBacks
  expect(readBacks).toBeGreaterThan(0)
  expect(readBacks).toBeLessThanOrEqual(writes)
  expect(readBacks).toBeGreaterThanOrEqual(writes - 4)
  const table = printed.join('\n')
  expect(table).toMatch(
    /writes\s+cache\s+requests\s+req\/s\s+on÷off\s+CPU µs\/req\s+avg ms\s+p50 ms\s+p95 ms\s+p99 ms\s+success\s+cache hit\s+stale reads/,
  )
  expect(table).toMatch(/20\.0%\s+server\s+100\s/)
  expect(table).toMatch(/reads by kind\s+0\.0% writes: hits of reads\s+20\.0% writes: hits of reads/)
  expect(table).toMatch(/products list\s+\d+\.\d% of \d+/)
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as PerfReport
  expect(json.phases.map((p) => p.result.requests)).toEqual([100, 100])
  expect(json.phases[1]?.result.readBacks).toBe(writing?.readBacks)
  const html = readFileSync(htmlPath, 'utf8')
  expect(html).toContain('aria-label="requests/s by write ratio"')
  expect(html).toContain('aria-label="server CPU µs per request by write ratio"')
  expect(html).toContain('aria-label="latency histogram"')
  expect(html).toContain('aria-label="cache hit rate over time"')
  expect(html).toContain('20% writes, server')
  expect(html).toContain('<h3>Reads by kind</h3>')
  expect(html).not.toMatch(/<script|(src|href)="https?:/)
})

describe('read-backs: stale only when provably older than the user’s own write', () => {
  const price = (productId: number, p: string) => ({ type: 'price', productId, price: p }) as const
  const product = (sale_price: string) => JSON.stringify({ id: 7, sale_price })

  it('a price change: its own price or a concurrent one is fresh; an earlier one or the original is stale', () => {
    const log = new WriteLog()
    const earlier = log.sent(price(7, '30.00'))
    log.answered(price(7, '30.00'), earlier, 200, '{}')
    const concurrent = log.sent(price(7, '40.00'))
    const own = log.sent(price(7, '20.00'))
    const check = log.answered(price(7, '20.00'), own, 200, '{}')
    log.answered(price(7, '40.00'), concurrent, 200, '{}')
    expect(check?.path).toBe('/api/products/7')
    expect(check?.isStale(200, product('20.00'))).toBe(false)
    expect(check?.isStale(200, product('40.00'))).toBe(false)
    expect(check?.isStale(200, product('30.00'))).toBe(true)
    expect(check?.isStale(200, product('9.99'))).toBe(true)
    expect(check?.isStale(503, product('20.00'))).toBe(true)
    // A write sent after this one answered may show too.
    const later = log.sent(price(7, '50.00'))
    expect(check?.isStale(200, product('50.00'))).toBe(false)
    log.answered(price(7, '50.00'), later, 200, '{}')
  })

  it('a stock movement: the stock must show at least the quantity the movement answered', () => {
    const log = new WriteLog()
    const move = { type: 'movement', productId: 3, warehouseId: 2 } as const
    const check = log.answered(move, log.sent(move), 201, JSON.stringify({ id: 1, stock_quantity: 5 }))
    expect(check?.path).toBe('/api/stocks?product=3&warehouse=2')
    const page = (quantity: number) => JSON.stringify({ results: [{ quantity }] })
    expect(check?.isStale(200, page(5))).toBe(false)
    expect(check?.isStale(200, page(6))).toBe(false)
    expect(check?.isStale(200, page(4))).toBe(true)
    expect(check?.isStale(200, JSON.stringify({ results: [] }))).toBe(true)
  })

  it('a write that failed is not read back', () => {
    const log = new WriteLog()
    const move = { type: 'movement', productId: 3, warehouseId: 2 } as const
    expect(log.answered(move, log.sent(move), 409, '{}')).toBeUndefined()
    expect(log.answered(price(7, '1.00'), log.sent(price(7, '1.00')), 404, '{}')).toBeUndefined()
  })
})

it('perf --write-ratio refuses a list with a value outside 0–1 or an empty item, before any load', () => {
  for (const bad of ['0,abc', '0,,0.2', '1.5']) {
    const run = perfCli('--write-ratio', bad)
    expect(run.status, run.stderr).toBe(1)
    expect(run.stderr).toContain(
      `--write-ratio: a number between 0 and 1, or a comma list of them (got ${bad})`,
    )
  }
})

describe('perf --rounds', () => {
  const phase = (
    round: number,
    writeRatio: number,
    cache: 'on' | 'off',
    rps: number,
    hits = 0,
    readsByKind: Record<string, { reads: number; hits: number }> = {},
    notStored: PerfPhase['notStored'] = null,
  ): PerfPhase => ({
    writeRatio,
    cache,
    round,
    serverCpuMicrosPerRequest: null,
    redisCpuMicrosPerRequest: null,
    notStored,
    result: {
      requests: 100,
      durationSeconds: 100 / rps,
      requestsPerSecond: rps,
      latency: { avg: 1, p50: 1, p95: 2, p99: 3, max: 4 },
      successRate: 1,
      cacheHitRate: hits,
      cacheableReads: cache === 'on' ? 90 : 0,
      readBacks: 0,
      staleReads: 0,
      xCache: {},
      readsByKind,
      statuses: {},
      errors: 0,
      latencies: [],
      timeline: [],
    },
  })

  it('pairs each cache-on phase with the cache-off phase of its own round, and takes the median over rounds', () => {
    const phases = [
      phase(1, 0.05, 'on', 300, 0.8),
      phase(1, 0.05, 'off', 200),
      phase(2, 0.05, 'off', 100),
      phase(2, 0.05, 'on', 300, 0.7),
      phase(3, 0.05, 'on', 220, 0.9),
      phase(3, 0.05, 'off', 200),
    ]
    expect(phases.map((p) => speedup(phases, p))).toEqual([1.5, undefined, undefined, 3, 1.1, undefined])
    expect(summariseRounds(phases)).toEqual([
      { writeRatio: 0.05, rounds: 3, speedup: { median: 1.5, low: 1.1, high: 3 }, hitRate: 0.8 },
    ])
    expect(formatTable(phases).split('\n')[0]?.startsWith('round  writes')).toBe(true)
  })

  it('sums the reads of each kind and the responses not stored over the rounds, per write ratio', () => {
    const phases = [
      phase(1, 0, 'on', 300, 1, { 'stocks list': { reads: 10, hits: 10 } }, []),
      phase(1, 0, 'off', 100),
      phase(
        1,
        0.05,
        'on',
        300,
        0.5,
        { 'stocks list': { reads: 10, hits: 4 }, 'product detail': { reads: 30, hits: 29 } },
        [{ route: '/api/stocks', reason: 'invalidated', count: 5 }],
      ),
      phase(2, 0.05, 'on', 300, 0.5, { 'stocks list': { reads: 10, hits: 2 } }, [
        { route: '/api/stocks', reason: 'invalidated', count: 3 },
        { route: '/api/products', reason: 'too-large', count: 4 },
      ]),
    ]
    expect(formatReadsByKind(phases).split('\n')).toEqual([
      'reads by kind   0.0% writes: hits of reads  5.0% writes: hits of reads',
      '──────────────  ──────────────────────────  ──────────────────────────',
      'product detail                           —                 96.7% of 30',
      'stocks list                   100.0% of 10                 30.0% of 20',
    ])
    expect(formatNotStored(phases).split('\n')).toEqual([
      'sent but not stored (route, reason, count):',
      '5.0%    /api/stocks invalidated 8 · /api/products too-large 4',
    ])
    expect(formatReadsByKind([phase(1, 0, 'off', 100)])).toBe('')
    expect(formatNotStored([phase(1, 0, 'on', 100, 1, {}, [])])).toBe('')
  })

  it('reads CPU time and the responses not stored, by route and reason, from a server’s /metrics', () => {
    const text = [
      '# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.',
      'process_cpu_seconds_total 12.5',
      'store_api_cache_not_stored_total{route="/api/stocks",reason="invalidated"} 564',
      'store_api_cache_not_stored_total{reason="too-large",route="/api/products/:id"} 2',
    ].join('\n')
    const m = parseServerMetrics(text)
    expect(m.cpuSeconds).toBe(12.5)
    expect(m.notStored).toEqual([
      { route: '/api/stocks', reason: 'invalidated', count: 564 },
      { route: '/api/products/:id', reason: 'too-large', count: 2 },
    ])
    expect(parseServerMetrics('')).toEqual({ cpuSeconds: undefined, notStored: [] })
  })

  it('refuses a rounds count that is not a positive integer, before any load', () => {
    const run = perfCli('--rounds', '0')
    expect(run.status, run.stderr).toBe(1)
    expect(run.stderr).toContain('--rounds: must be a whole number ≥ 1 (got 0)')
  })
})

describe('perf --warmup', () => {
  /** The requests the server has answered, from its duration histogram on `/metrics`. */
  async function served(url: string): Promise<number> {
    const text = await (await fetch(`${url}/metrics`)).text()
    let n = 0
    for (const m of text.matchAll(/^http_request_duration_seconds_count\{[^}]*\} (\d+)$/gm)) n += Number(m[1])
    return n
  }

  it('runs the warm-up on the same server before each phase, and counts only the phase', async () => {
    const before = await served(stack.url)
    const { report, htmlPath, printed } = await perfOnStack('Warmco', 20, {
      users: 3,
      requests: 10,
      warmup: 20,
    })
    const after = await served(stack.url)
    expect(report.warmupRequestsPerUser).toBe(20)
    expect(report.phases.map((p) => p.result.requests)).toEqual([30, 30])
    for (const { result } of report.phases) expect(result.staleReads).toBe(0)
    // Two phases of 3 × 10 counted, each after 3 × 20 not counted (plus discovery and read-backs).
    expect(after - before).toBeGreaterThanOrEqual(2 * (30 + 60))
    expect(printed.join('\n')).toContain('each phase after a warm-up of 20 requests per user')
    expect(readFileSync(htmlPath, 'utf8')).toContain('after a warm-up of 20 each')
  })

  it('refuses a warm-up that is not a positive integer, before any load', () => {
    const run = perfCli('--warmup', '0')
    expect(run.status, run.stderr).toBe(1)
    expect(run.stderr).toContain('--warmup: must be a whole number ≥ 1 (got 0)')
  })
})
