import type { PhaseResult } from './run-load.js'
import { histogram } from './stats.js'

/** One phase of a perf run: a write ratio with the cache on or off (`server`: a `--url` server as it is). */
export interface PerfPhase {
  readonly writeRatio: number
  readonly cache: 'on' | 'off' | 'server'
  readonly result: PhaseResult
  /** The server's CPU time (user + system) over the phase per request, µs; `null` when it publishes none. */
  readonly serverCpuMicrosPerRequest: number | null
  /**
   * Redis' CPU time (user + system, from `INFO cpu`) over the phase per request, µs: the whole Redis
   * process, so meaningful where nothing else uses that Redis meanwhile. `null` without
   * `REDIS_URL` or when it cannot be read.
   */
  readonly redisCpuMicrosPerRequest: number | null
  /**
   * The responses the server sent without storing them during the phase, by route and reason
   * (from its `/metrics`, `store_api_cache_not_stored_total`); `null` with the cache off or when
   * the server's `/metrics` cannot be read.
   */
  readonly notStored: readonly NotStoredCount[] | null
  /** Which repetition of the sweep (from 1) with `--rounds`; absent in a single round. */
  readonly round?: number
}

/** Responses of one route sent but not stored for one reason (`invalidated`: a write ran during the handler). */
export interface NotStoredCount {
  readonly route: string
  readonly reason: string
  readonly count: number
}

/** A finished perf run: its settings and one result per phase (per write ratio: cache on, cache off). */
export interface PerfReport {
  readonly date: string
  readonly url: string
  readonly users: number
  readonly requestsPerUser: number
  readonly durationSeconds: number | null
  readonly writeRatios: readonly number[]
  /** Repetitions of the sweep (`--rounds`); absent for one. */
  readonly rounds?: number
  /** Requests per user run before each phase and not counted (`--warmup`); absent without. */
  readonly warmupRequestsPerUser?: number
  readonly database: string
  readonly cache: string
  readonly phases: readonly PerfPhase[]
}

/** A phase's name in the report: `5% writes, cache on`. */
export function phaseName(p: PerfPhase): string {
  const name = `${+(100 * p.writeRatio).toFixed(1)}% writes, ${p.cache === 'server' ? 'server' : `cache ${p.cache}`}`
  return p.round === undefined ? name : `${name}, round ${p.round}`
}

function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"]/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c] ?? c,
  )
}

const W = 640
const H = 200
const PAD = 30

function histogramSvg(latencies: readonly number[]): string {
  const bins = histogram(latencies)
  const top = Math.max(1, ...bins.map((b) => b.count))
  const bw = (W - 2 * PAD) / Math.max(1, bins.length)
  const bars = bins
    .map((b, i) => {
      const h = ((H - 2 * PAD) * b.count) / top
      return `<rect x="${(PAD + i * bw).toFixed(1)}" y="${(H - PAD - h).toFixed(1)}" width="${(bw - 1).toFixed(1)}" height="${h.toFixed(1)}" fill="#3b6fb6"><title>${b.from.toFixed(1)}–${b.to.toFixed(1)} ms: ${b.count}</title></rect>`
    })
    .join('')
  const last = bins.at(-1)?.to ?? 0
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="latency histogram">${bars}
<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#333"/>
<text x="${PAD}" y="${H - 8}" font-size="11">0 ms</text><text x="${W - PAD}" y="${H - 8}" font-size="11" text-anchor="end">${last.toFixed(1)} ms (p99; slower in last bar)</text>
<text x="${PAD}" y="${PAD - 10}" font-size="11">max bar ${top} requests</text></svg>`
}

function hitRateSvg(timeline: PhaseResult['timeline']): string {
  if (timeline.length === 0) return '<p>no data</p>'
  const n = timeline.length
  const x = (i: number) => PAD + ((W - 2 * PAD) * i) / Math.max(1, n - 1)
  const y = (v: number) => H - PAD - (H - 2 * PAD) * v
  const points = timeline.map(
    (t, i) => `${x(i).toFixed(1)},${y(t.cacheable ? t.hits / t.cacheable : 0).toFixed(1)}`,
  )
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="cache hit rate over time">
<polyline fill="none" stroke="#2f7d32" stroke-width="2" points="${points.join(' ')}"/>
<line x1="${PAD}" y1="${y(0)}" x2="${W - PAD}" y2="${y(0)}" stroke="#333"/><line x1="${PAD}" y1="${y(0.8)}" x2="${W - PAD}" y2="${y(0.8)}" stroke="#b26a00" stroke-dasharray="4"/>
<text x="${PAD - 4}" y="${y(1) + 4}" font-size="11" text-anchor="end">100%</text><text x="${PAD - 4}" y="${y(0.8) + 4}" font-size="11" text-anchor="end">80%</text>
<text x="${PAD}" y="${H - 8}" font-size="11">0 s</text><text x="${W - PAD}" y="${H - 8}" font-size="11" text-anchor="end">${n} s</text></svg>`
}

const SERIES = { on: '#2f7d32', off: '#9e9e9e', server: '#3b6fb6' } as const

/**
 * The sweep as grouped bars: per write ratio one bar per cache mode, of `value` (req/s, CPU per
 * request), with the bar's figure above it.
 */
function sweepSvg(
  phases: readonly PerfPhase[],
  label: string,
  value: (p: PerfPhase) => number | null,
): string {
  const ratios = [...new Set(phases.map((p) => p.writeRatio))]
  const top = Math.max(1, ...phases.map((p) => value(p) ?? 0))
  const group = (W - 2 * PAD) / Math.max(1, ratios.length)
  const modes = [...new Set(phases.map((p) => p.cache))]
  const bw = (group * 0.8) / Math.max(1, modes.length)
  const bars = phases
    .map((p) => {
      const v = value(p)
      if (v === null) return ''
      const x = PAD + ratios.indexOf(p.writeRatio) * group + group * 0.1 + modes.indexOf(p.cache) * bw
      const h = ((H - 2 * PAD - 14) * v) / top
      const y = H - PAD - h
      return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${(bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="${SERIES[p.cache]}"><title>${esc(phaseName(p))}: ${v.toFixed(1)}</title></rect><text x="${(x + bw / 2).toFixed(1)}" y="${(y - 3).toFixed(1)}" font-size="10" text-anchor="middle">${v.toFixed(0)}</text>`
    })
    .join('')
  const ticks = ratios
    .map(
      (r, i) =>
        `<text x="${(PAD + (i + 0.5) * group).toFixed(1)}" y="${H - 10}" font-size="11" text-anchor="middle">${+(100 * r).toFixed(1)}% writes</text>`,
    )
    .join('')
  const legend = modes
    .map(
      (m, i) =>
        `<rect x="${W - PAD - 90}" y="${6 + i * 14}" width="10" height="10" fill="${SERIES[m]}"/><text x="${W - PAD - 76}" y="${15 + i * 14}" font-size="11">${m === 'server' ? 'server' : `cache ${m}`}</text>`,
    )
    .join('')
  return `<svg viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(label)} by write ratio">${bars}
<line x1="${PAD}" y1="${H - PAD}" x2="${W - PAD}" y2="${H - PAD}" stroke="#333"/>${ticks}${legend}
<text x="${PAD}" y="${PAD - 14}" font-size="11">${esc(label)}</text></svg>`
}

/** A phase's reads by kind with their hit rates (none with the cache off). */
function kindsTable(p: PerfPhase): string {
  const kinds = Object.entries(p.result.readsByKind).sort((a, b) => a[0].localeCompare(b[0]))
  if (kinds.length === 0) return ''
  const rows = kinds
    .map(
      ([kind, k]) =>
        `<tr><td>${esc(kind)}</td><td>${k.reads}</td><td>${((100 * k.hits) / k.reads).toFixed(1)}%</td></tr>`,
    )
    .join('')
  return `<h3>Reads by kind</h3><table><thead><tr><th>kind</th><th>reads</th><th>hit rate</th></tr></thead><tbody>${rows}</tbody></table>`
}

/** The report as one self-contained HTML page (inline SVG, no script, no CDN). */
export function renderReportHtml(report: PerfReport): string {
  const withRedis = report.phases.some((p) => p.redisCpuMicrosPerRequest !== null)
  const rows = report.phases
    .map((p) => {
      const r = p.result
      const redis = p.redisCpuMicrosPerRequest === null ? '—' : p.redisCpuMicrosPerRequest.toFixed(0)
      return `<tr><td>${esc(phaseName(p))}</td><td>${r.requests}</td><td>${r.requestsPerSecond.toFixed(1)}</td><td>${p.serverCpuMicrosPerRequest === null ? '—' : p.serverCpuMicrosPerRequest.toFixed(0)}</td>${withRedis ? `<td>${redis}</td>` : ''}<td>${r.latency.avg.toFixed(1)}</td><td>${r.latency.p50.toFixed(1)}</td><td>${r.latency.p95.toFixed(1)}</td><td>${r.latency.p99.toFixed(1)}</td><td>${(100 * r.successRate).toFixed(2)}%</td><td>${r.cacheableReads === 0 ? '—' : `${(100 * r.cacheHitRate).toFixed(1)}%`}</td><td>${r.staleReads} / ${r.readBacks}</td></tr>`
    })
    .join('')
  const sweep = `<section><h2>The sweep</h2>${sweepSvg(report.phases, 'requests/s', (p) => p.result.requestsPerSecond)}${sweepSvg(report.phases, 'server CPU µs per request', (p) => p.serverCpuMicrosPerRequest)}${sweepSvg(report.phases, 'cache hit rate of the mix\u2019s reads, %', (p) => (p.result.cacheableReads === 0 ? null : 100 * p.result.cacheHitRate))}</section>`
  const charts = report.phases
    .map(
      (p) =>
        `<section><h2>${esc(phaseName(p))}</h2><h3>Latency histogram</h3>${histogramSvg(p.result.latencies)}<h3>Cache hit rate over time</h3>${hitRateSvg(p.result.timeline)}${kindsTable(p)}<p>X-Cache: ${esc(JSON.stringify(p.result.xCache))} · statuses: ${esc(JSON.stringify(p.result.statuses))} · errors: ${p.result.errors}${p.notStored?.length ? ` · sent but not stored: ${esc(p.notStored.map((n) => `${n.route} ${n.reason} ${n.count}`).join(', '))}` : ''}</p></section>`,
    )
    .join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>store-api perf ${esc(report.date)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body><h1>store-api perf</h1>
<p>${esc(report.date)} · ${esc(report.url)} · ${report.users} users · ${report.durationSeconds ? `${report.durationSeconds} s` : `${report.requestsPerUser} requests each`}${report.warmupRequestsPerUser ? ` after a warm-up of ${report.warmupRequestsPerUser} each` : ''} · write ratios ${esc(report.writeRatios.join(', '))} · database ${esc(report.database)} · cache ${esc(report.cache)}</p>
<p>Claims of the report under test: 100 concurrent users, &lt; 200 ms average, 50+ req/s, &gt; 80% cache hit rate. Stale reads: read-backs of a user's own write that showed an older state (must be 0).</p>
<table><thead><tr><th>phase</th><th>requests</th><th>req/s</th><th>CPU µs/req</th>${withRedis ? '<th>Redis µs/req</th>' : ''}<th>avg ms</th><th>p50</th><th>p95</th><th>p99</th><th>success</th><th>hit rate</th><th>stale reads</th></tr></thead><tbody>${rows}</tbody></table>
${sweep}${charts}</body></html>`
}
