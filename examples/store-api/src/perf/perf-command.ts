import { mkdirSync, writeFileSync } from 'node:fs'
import { join, resolve } from 'node:path'
import type { MixData } from './mix.js'
import { type PerfReport, renderReportHtml } from './report-html.js'
import { type PhaseResult, runLoad } from './run-load.js'
import { startServerChild } from './server-child.js'

/** Arguments of `store-api perf`. */
export interface PerfArgs {
  readonly users: number
  readonly requests: number
  readonly url?: string
  readonly duration?: number
  readonly writeRatio: number
  /** API key for `--url` (else `STORE_API_KEY`). */
  readonly key?: string
  /** Directory of the JSON and HTML reports. */
  readonly out: string
  /** Without `--url`: measure with the cache on, off, or both in one run (default both). */
  readonly cache: 'both' | 'on' | 'off'
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
    const pct = Math.floor(f * 100)
    if (pct === last || (!tty && pct % 10 !== 0 && pct !== 100)) return
    last = pct
    const filled = Math.round(f * 30)
    const bar = `${'█'.repeat(filled)}${'░'.repeat(30 - filled)}`
    process.stderr.write(
      `${tty ? '\r' : ''}${label.padEnd(10)} ${bar} ${String(pct).padStart(3)}%${tty && pct < 100 ? '' : '\n'}`,
    )
  }
}

/** The table printed at the end of a run. */
export function formatTable(phases: readonly { name: string; result: PhaseResult }[]): string {
  const head = ['phase', 'requests', 'req/s', 'avg ms', 'p50 ms', 'p95 ms', 'p99 ms', 'success', 'cache hit']
  const rows = phases.map(({ name, result: r }) => [
    name,
    String(r.requests),
    r.requestsPerSecond.toFixed(1),
    r.latency.avg.toFixed(1),
    r.latency.p50.toFixed(1),
    r.latency.p95.toFixed(1),
    r.latency.p99.toFixed(1),
    `${(100 * r.successRate).toFixed(2)}%`,
    `${(100 * r.cacheHitRate).toFixed(1)}%`,
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ')
  return [line(head), widths.map((w) => '─'.repeat(w)).join('  '), ...rows.map(line)].join('\n')
}

/**
 * `store-api perf`: drives the realistic mix with autocannon, prints a table and writes a JSON and
 * an HTML report. Without `--url` it starts the server itself (in a child process, on the
 * configured database), once with the cache on and once with it off, so both are measured in one run.
 */
export async function perfCommand(
  args: PerfArgs,
  env: NodeJS.ProcessEnv = process.env,
  print: (s: string) => void = console.log,
): Promise<PerfOutcome> {
  const phases: { name: string; result: PhaseResult }[] = []
  const run = async (name: string, url: string, key: string) => {
    const data = await discover(url, key)
    const result = await runLoad({
      url,
      apiKey: key,
      users: args.users,
      requests: args.requests,
      ...(args.duration ? { duration: args.duration } : {}),
      writeRatio: args.writeRatio,
      data,
      onProgress: progressBar(name),
    })
    phases.push({ name, result })
  }
  let url = args.url ?? ''
  if (args.url) {
    const key = args.key ?? env.STORE_API_KEY
    if (!key) throw new Error('perf --url needs --key <api key> (or STORE_API_KEY)')
    await run('server', args.url, key)
  } else {
    const modes = args.cache === 'both' ? [true, false] : [args.cache === 'on']
    for (const on of modes) {
      const child = await startServerChild(env, on)
      url = child.url
      try {
        await run(on ? 'cache on' : 'cache off', child.url, child.apiKey)
      } finally {
        await child.stop()
      }
    }
  }
  const report: PerfReport = {
    date: new Date().toISOString(),
    url,
    users: args.users,
    requestsPerUser: args.requests,
    durationSeconds: args.duration ?? null,
    writeRatio: args.writeRatio,
    database: env.DATABASE_URL ? (env.DATABASE_URL.split(':')[0] ?? 'unknown') : 'sqlite (embedded)',
    cache: env.REDIS_URL ? (env.CACHE_L1 === 'off' ? 'redis' : 'redis + L1') : 'memory',
    phases,
  }
  print(`\n${formatTable(phases)}`)
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
