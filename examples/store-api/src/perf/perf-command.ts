import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { Redis } from 'ioredis'
import type { MixData } from './mix.js'
import { type NotStoredCount, type PerfPhase, type PerfReport, renderReportHtml } from './report-html.js'
import { runLoad } from './run-load.js'
import { startServerChild } from './server-child.js'

/** Arguments of `store-api perf`. */
export interface PerfArgs {
  readonly users: number
  readonly requests: number
  readonly url?: string
  readonly duration?: number
  /** The write ratios of the sweep (each from 0 to 1), run in this order. */
  readonly writeRatios: readonly number[]
  /** API key for `--url` (else `STORE_API_KEY`). */
  readonly key?: string
  /** Directory of the JSON and HTML reports. */
  readonly out: string
  /** Without `--url`: measure with the cache on, off, or both in one run (default both). */
  readonly cache: 'both' | 'on' | 'off'
  /**
   * Repetitions of the whole sweep (default 1). With both modes, odd rounds run the cache on first
   * and even rounds off first, so a drift of the machine over the run weighs on both alike.
   */
  readonly rounds?: number
  /**
   * Requests per user sent before each measured phase, on the same server with the same mix and
   * write ratio, and not counted (default none): the phase then measures a server in steady state
   * (its code compiled, its cache holding what the mix reads) instead of one just started.
   */
  readonly warmup?: number
}

/** A perf run's files and results. */
export interface PerfOutcome {
  readonly report: PerfReport
  readonly jsonPath: string
  readonly htmlPath: string
}

async function getJson(url: string, key: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${key}` } })
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${await res.text()}`)
  return (await res.json()) as Record<string, unknown>
}

function ids(page: Record<string, unknown>): number[] {
  const results = Array.isArray(page.results) ? (page.results as { id?: unknown }[]) : []
  return results.map((r) => Number(r.id)).filter(Number.isFinite)
}

/** Reads ids and page counts the mix needs (a handful of requests, before the clock starts). */
export async function discover(url: string, key: string): Promise<MixData> {
  const get = (path: string) => getJson(`${url}${path}`, key)
  const [products, active, categories, warehouses, stocks, invoices] = await Promise.all([
    get('/api/products?page_size=100&ordering=id'),
    get('/api/products?is_active=true&page_size=1'),
    get('/api/categories?page_size=100'),
    get('/api/warehouses?page_size=100'),
    get('/api/stocks?page_size=100'),
    get('/api/invoices?page_size=1'),
  ])
  const pages = (p: Record<string, unknown>, size: number) =>
    Math.max(1, Math.ceil(Number(p.count ?? 0) / size))
  return {
    productIds: ids(products),
    productPages: pages(products, 50),
    activeProductPages: pages(active, 50),
    categoryIds: ids(categories),
    warehouseIds: ids(warehouses),
    stockIds: ids(stocks),
    stockPages: pages(stocks, 50),
    invoicePages: pages(invoices, 20),
  }
}

function progressBar(label: string): (fraction: number) => void {
  const tty = process.stderr.isTTY
  let last = -1
  return (f) => {
    const percent = Math.floor(f * 100)
    if (percent === last || (!tty && percent % 10 !== 0 && percent !== 100)) return
    last = percent
    const filled = Math.round(f * 30)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(30 - filled)}`
    process.stderr.write(
      `${tty ? '\r' : ''}${label.padEnd(11)} ${bar} ${String(percent).padStart(3)}%${tty && percent < 100 ? '' : '\n'}`,
    )
  }
}

/** What a server's `/metrics` tells of a phase (read before and after it). */
export interface ServerMetrics {
  /** CPU time (user + system) in seconds; `undefined` when not published. */
  readonly cpuSeconds: number | undefined
  /** `store_api_cache_not_stored_total`, one count per `route` and `reason`. */
  readonly notStored: readonly NotStoredCount[]
}

/** Reads the server's `/metrics`; `undefined` when it does not answer (or needs a token). */
export async function serverMetrics(url: string): Promise<ServerMetrics | undefined> {
  try {
    const res = await fetch(`${url}/metrics`)
    if (!res.ok) return undefined
    return parseServerMetrics(await res.text())
  } catch {
    return undefined
  }
}

/** The figures of {@link ServerMetrics} in a Prometheus text exposition. */
export function parseServerMetrics(text: string): ServerMetrics {
  const cpu = /^process_cpu_seconds_total (\S+)$/m.exec(text)
  const notStored: NotStoredCount[] = []
  for (const m of text.matchAll(/^store_api_cache_not_stored_total\{([^}]*)\} (\S+)$/gm)) {
    const labels = new Map(
      [...(m[1] as string).matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((l) => [l[1], l[2]] as const),
    )
    notStored.push({
      route: labels.get('route') ?? '?',
      reason: labels.get('reason') ?? '?',
      count: Number(m[2]),
    })
  }
  return { cpuSeconds: cpu ? Number(cpu[1]) : undefined, notStored }
}

/** The server's CPU time in seconds, read from its `/metrics`; `undefined` when it does not publish it. */
export async function serverCpuSeconds(url: string): Promise<number | undefined> {
  return (await serverMetrics(url))?.cpuSeconds
}

/**
 * The CPU seconds (user + system) a Redis server has used since it started, from `INFO cpu`;
 * `undefined` when it cannot be read. It counts the whole process, so every client of that Redis.
 */
export async function redisCpuSeconds(client: Redis): Promise<number | undefined> {
  try {
    const info = await client.info('cpu')
    const field = (name: string) => Number(new RegExp(`^${name}:([\\d.]+)`, 'm').exec(info)?.[1])
    const seconds = field('used_cpu_user') + field('used_cpu_sys')
    return Number.isFinite(seconds) ? seconds : undefined
  } catch {
    return undefined
  }
}

/** CPU µs per request over a phase, from two readings in seconds; `null` when either is missing. */
export function perRequest(
  before: number | undefined,
  after: number | undefined,
  requests: number,
): number | null {
  return before === undefined || after === undefined || requests === 0
    ? null
    : ((after - before) * 1e6) / requests
}

/** The responses sent but not stored during a phase, by route and reason, most first. */
function notStoredDuring(before: ServerMetrics, after: ServerMetrics): NotStoredCount[] {
  const out: NotStoredCount[] = []
  for (const { route, reason, count } of after.notStored) {
    const earlier = before.notStored.find((b) => b.route === route && b.reason === reason)?.count ?? 0
    if (count > earlier) out.push({ route, reason, count: count - earlier })
  }
  return out.sort((a, b) => b.count - a.count)
}

const pct = (x: number) => `${(100 * x).toFixed(1)}%`

/** `cache on` req/s over `cache off` req/s at the same write ratio (and round), when both ran. */
export function speedup(phases: readonly PerfPhase[], phase: PerfPhase): number | undefined {
  if (phase.cache !== 'on') return undefined
  const off = phases.find(
    (p) => p.cache === 'off' && p.writeRatio === phase.writeRatio && p.round === phase.round,
  )
  return off ? phase.result.requestsPerSecond / off.result.requestsPerSecond : undefined
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const mid = s.length >> 1
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2
}

/** Per write ratio over the rounds: the median, lowest and highest `on÷off`, and the median hit rate. */
export interface RoundsSummary {
  readonly writeRatio: number
  readonly rounds: number
  readonly speedup: { readonly median: number; readonly low: number; readonly high: number }
  readonly hitRate: number
}

/** The sweep summarised over its rounds (write ratios where both modes ran, in sweep order). */
export function summariseRounds(phases: readonly PerfPhase[]): RoundsSummary[] {
  const out: RoundsSummary[] = []
  for (const ratio of new Set(phases.map((p) => p.writeRatio))) {
    const on = phases.filter((p) => p.writeRatio === ratio && p.cache === 'on')
    const x = on.map((p) => speedup(phases, p)).filter((v): v is number => v !== undefined)
    if (x.length === 0) continue
    out.push({
      writeRatio: ratio,
      rounds: x.length,
      speedup: { median: median(x), low: Math.min(...x), high: Math.max(...x) },
      hitRate: median(on.map((p) => p.result.cacheHitRate)),
    })
  }
  return out
}

/** The lines printed under the table after several rounds. */
export function formatRoundsSummary(summary: readonly RoundsSummary[]): string {
  const lines = summary.map(
    (s) =>
      `${pct(s.writeRatio).padEnd(6)}  on÷off median ${s.speedup.median.toFixed(2)}× ` +
      `(${s.speedup.low.toFixed(2)}–${s.speedup.high.toFixed(2)}× over ${s.rounds} rounds), hit rate ${pct(s.hitRate)}`,
  )
  return ['over the rounds:', ...lines].join('\n')
}

/** The table printed at the end of a run. */
export function formatTable(phases: readonly PerfPhase[]): string {
  const rounds = phases.some((p) => p.round !== undefined)
  const withRedis = phases.some((p) => p.redisCpuMicrosPerRequest !== null)
  const head = [
    ...(rounds ? ['round'] : []),
    'writes',
    'cache',
    'requests',
    'req/s',
    'on÷off',
    'CPU µs/req',
    ...(withRedis ? ['Redis µs/req'] : []),
    'avg ms',
    'p50 ms',
    'p95 ms',
    'p99 ms',
    'success',
    'cache hit',
    'stale reads',
  ]
  const rows = phases.map((p) => {
    const r = p.result
    const x = speedup(phases, p)
    return [
      ...(rounds ? [String(p.round ?? '')] : []),
      pct(p.writeRatio),
      p.cache,
      String(r.requests),
      r.requestsPerSecond.toFixed(1),
      x === undefined ? '' : `${x.toFixed(2)}×`,
      p.serverCpuMicrosPerRequest === null ? '—' : p.serverCpuMicrosPerRequest.toFixed(0),
      ...(withRedis
        ? [p.redisCpuMicrosPerRequest === null ? '—' : p.redisCpuMicrosPerRequest.toFixed(0)]
        : []),
      r.latency.avg.toFixed(1),
      r.latency.p50.toFixed(1),
      r.latency.p95.toFixed(1),
      r.latency.p99.toFixed(1),
      `${(100 * r.successRate).toFixed(2)}%`,
      r.cacheableReads === 0 ? '—' : pct(r.cacheHitRate),
      `${r.staleReads}/${r.readBacks}`,
    ]
  })
  return textTable(head, rows, rounds ? 3 : 2)
}

/** A plain-text table: a head, a rule, the rows; the first `left` columns left-aligned, the rest right. */
function textTable(head: readonly string[], rows: readonly (readonly string[])[], left: number): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (i < left ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/**
 * The hit rate of each kind of read, per write ratio, over the phases that had the cache on (every
 * round summed): which reads the cache misses. Empty when no phase had it on.
 */
export function formatReadsByKind(phases: readonly PerfPhase[]): string {
  const cached = phases.filter((p) => p.result.cacheableReads > 0)
  const ratios = [...new Set(cached.map((p) => p.writeRatio))]
  if (ratios.length === 0) return ''
  const sums = new Map<string, Map<number, { reads: number; hits: number }>>()
  for (const p of cached)
    for (const [kind, k] of Object.entries(p.result.readsByKind)) {
      const byRatio = sums.get(kind) ?? new Map<number, { reads: number; hits: number }>()
      sums.set(kind, byRatio)
      const sum = byRatio.get(p.writeRatio) ?? { reads: 0, hits: 0 }
      byRatio.set(p.writeRatio, { reads: sum.reads + k.reads, hits: sum.hits + k.hits })
    }
  const head = ['reads by kind', ...ratios.map((r) => `${pct(r)} writes: hits of reads`)]
  const rows = [...sums]
    .sort((a, b) => a[0].localeCompare(b[0]))
    .map(([kind, byRatio]) => [
      kind,
      ...ratios.map((r) => {
        const k = byRatio.get(r)
        return k ? `${pct(k.hits / k.reads)} of ${k.reads}` : '—'
      }),
    ])
  return textTable(head, rows, 1)
}

/**
 * The responses sent but not stored, per write ratio over the phases that had the cache on (every
 * round summed), by route and reason; empty when the server told none.
 */
export function formatNotStored(phases: readonly PerfPhase[]): string {
  const lines: string[] = []
  for (const ratio of new Set(phases.map((p) => p.writeRatio))) {
    const sums = new Map<string, number>()
    for (const p of phases)
      if (p.writeRatio === ratio)
        for (const n of p.notStored ?? []) {
          const key = `${n.route} ${n.reason}`
          sums.set(key, (sums.get(key) ?? 0) + n.count)
        }
    if (sums.size === 0) continue
    const parts = [...sums].sort((a, b) => b[1] - a[1]).map(([key, n]) => `${key} ${n}`)
    lines.push(`${pct(ratio).padEnd(6)}  ${parts.join(' · ')}`)
  }
  return lines.length === 0 ? '' : ['sent but not stored (route, reason, count):', ...lines].join('\n')
}

/**
 * `store-api perf`: drives the realistic mix with autocannon at each write ratio of the sweep,
 * prints a table and writes a JSON and an HTML report. Without `--url` it starts the server itself
 * (in a child process, on the configured database) per phase: at each ratio once with the cache on
 * and once with it off, so both are measured in one run. Each phase also reports the server's CPU
 * per request (from its `/metrics`: the load generator shares the machine), the hit rate of the
 * mix's reads and its stale read-backs. With `warmup`, each phase first runs that many requests per
 * user on its server, not counted.
 */
export async function perfCommand(
  args: PerfArgs,
  env: NodeJS.ProcessEnv = process.env,
  print: (s: string) => void = console.log,
): Promise<PerfOutcome> {
  const phases: PerfPhase[] = []
  const rounds = args.rounds ?? 1
  // Redis shares the machine too (a miss's stamps cost it CPU the server's figure leaves out).
  const redis = env.REDIS_URL
    ? new Redis(env.REDIS_URL, { maxRetriesPerRequest: 1, connectTimeout: 2000, lazyConnect: true })
    : undefined
  redis?.on('error', () => {})
  try {
    return await sweep(args, env, print, phases, rounds, redis)
  } finally {
    redis?.disconnect()
  }
}

/** The phases of {@link perfCommand}, each also reading Redis' CPU through `redis` where given. */
async function sweep(
  args: PerfArgs,
  env: NodeJS.ProcessEnv,
  print: (s: string) => void,
  phases: PerfPhase[],
  rounds: number,
  redis: Redis | undefined,
): Promise<PerfOutcome> {
  const run = async (
    writeRatio: number,
    cache: PerfPhase['cache'],
    url: string,
    key: string,
    round: number,
  ) => {
    const label = `${rounds > 1 ? `${round}: ` : ''}${pct(writeRatio)} ${cache}`
    if (args.warmup)
      await runLoad({
        url,
        apiKey: key,
        users: args.users,
        requests: args.warmup,
        writeRatio,
        data: await discover(url, key),
        onProgress: progressBar(`${label} warm-up`),
      })
    const data = await discover(url, key)
    const before = await serverMetrics(url)
    const redisBefore = redis && (await redisCpuSeconds(redis))
    const result = await runLoad({
      url,
      apiKey: key,
      users: args.users,
      requests: args.requests,
      ...(args.duration ? { duration: args.duration } : {}),
      writeRatio,
      data,
      onProgress: progressBar(label),
    })
    const after = await serverMetrics(url)
    const redisAfter = redis && (await redisCpuSeconds(redis))
    phases.push({
      writeRatio,
      cache,
      result,
      serverCpuMicrosPerRequest: perRequest(before?.cpuSeconds, after?.cpuSeconds, result.requests),
      redisCpuMicrosPerRequest: perRequest(redisBefore, redisAfter, result.requests),
      notStored: before && after && cache !== 'off' ? notStoredDuring(before, after) : null,
      ...(rounds > 1 ? { round } : {}),
    })
  }
  let url = args.url ?? ''
  if (args.url) {
    const key = args.key ?? env.STORE_API_KEY
    if (!key) throw new Error('perf --url needs --key <api key> (or STORE_API_KEY)')
    for (let round = 1; round <= rounds; round++)
      for (const ratio of args.writeRatios) await run(ratio, 'server', args.url, key, round)
  } else {
    for (let round = 1; round <= rounds; round++) {
      const modes =
        args.cache === 'both' ? (round % 2 === 1 ? [true, false] : [false, true]) : [args.cache === 'on']
      for (const ratio of args.writeRatios) {
        for (const on of modes) {
          const child = await startServerChild(env, on)
          url = child.url
          try {
            await run(ratio, on ? 'on' : 'off', child.url, child.apiKey, round)
          } finally {
            await child.stop()
          }
        }
      }
    }
  }
  const report: PerfReport = {
    date: new Date().toISOString(),
    url,
    users: args.users,
    requestsPerUser: args.requests,
    durationSeconds: args.duration ?? null,
    writeRatios: [...args.writeRatios],
    ...(rounds > 1 ? { rounds } : {}),
    ...(args.warmup ? { warmupRequestsPerUser: args.warmup } : {}),
    database: env.DATABASE_URL ? (env.DATABASE_URL.split(':')[0] ?? 'unknown') : 'sqlite (embedded)',
    cache: env.REDIS_URL ? (env.CACHE_L1 === 'off' ? 'redis' : 'redis + L1') : 'memory',
    phases,
  }
  print(`\n${formatTable(phases)}`)
  if (args.warmup)
    print(`\neach phase after a warm-up of ${args.warmup} requests per user on the same server (not counted)`)
  const summary = rounds > 1 ? summariseRounds(phases) : []
  if (summary.length > 0) print(`\n${formatRoundsSummary(summary)}`)
  const byKind = formatReadsByKind(phases)
  if (byKind) print(`\n${byKind}`)
  const notStored = formatNotStored(phases)
  if (notStored) print(`\n${notStored}`)
  const dir = resolve(args.out)
  mkdirSync(dir, { recursive: true })
  const stamp = report.date.replace(/[:.]/g, '-')
  const jsonPath = join(dir, `store-api-perf-${stamp}.json`)
  const htmlPath = join(dir, `store-api-perf-${stamp}.html`)
  writeFileSync(
    jsonPath,
    JSON.stringify(report, (k, v) => (k === 'latencies' ? undefined : v), 2),
  )
  writeFileSync(htmlPath, renderReportHtml(report))
  print(`\nreports: ${jsonPath}\n         ${htmlPath}`)
  return { report, jsonPath, htmlPath }
}
