import type { PhaseResult } from './run-load.js'
import { histogram } from './stats.js'

/** A finished perf run: its settings and one result per phase (e.g. cache on, cache off). */
export interface PerfReport {
  readonly date: string
  readonly url: string
  readonly users: number
  readonly requestsPerUser: number
  readonly durationSeconds: number | null
  readonly writeRatio: number
  readonly database: string
  readonly cache: string
  readonly phases: readonly { readonly name: string; readonly result: PhaseResult }[]
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

/** The report as one self-contained HTML page (inline SVG, no script, no CDN). */
export function renderReportHtml(report: PerfReport): string {
  const rows = report.phases
    .map(
      ({ name, result: r }) =>
        `<tr><td>${esc(name)}</td><td>${r.requests}</td><td>${r.requestsPerSecond.toFixed(1)}</td><td>${r.latency.avg.toFixed(1)}</td><td>${r.latency.p50.toFixed(1)}</td><td>${r.latency.p95.toFixed(1)}</td><td>${r.latency.p99.toFixed(1)}</td><td>${(100 * r.successRate).toFixed(2)}%</td><td>${(100 * r.cacheHitRate).toFixed(1)}%</td></tr>`,
    )
    .join('')
  const charts = report.phases
    .map(
      ({ name, result: r }) =>
        `<section><h2>${esc(name)}</h2><h3>Latency histogram</h3>${histogramSvg(r.latencies)}<h3>Cache hit rate over time</h3>${hitRateSvg(r.timeline)}<p>X-Cache: ${esc(JSON.stringify(r.xCache))} · statuses: ${esc(JSON.stringify(r.statuses))} · errors: ${r.errors}</p></section>`,
    )
    .join('')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>store-api perf ${esc(report.date)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2rem auto;padding:0 1rem}table{border-collapse:collapse}td,th{border-bottom:1px solid #ddd;padding:4px 10px;text-align:right}td:first-child,th:first-child{text-align:left}</style>
</head><body><h1>store-api perf</h1>
<p>${esc(report.date)} · ${esc(report.url)} · ${report.users} users · ${report.durationSeconds ? `${report.durationSeconds} s` : `${report.requestsPerUser} requests each`} · write ratio ${report.writeRatio} · database ${esc(report.database)} · cache ${esc(report.cache)}</p>
<p>Claims of the report under test: 100 concurrent users, &lt; 200 ms average, 50+ req/s, &gt; 80% cache hit rate.</p>
<table><thead><tr><th>phase</th><th>requests</th><th>req/s</th><th>avg ms</th><th>p50</th><th>p95</th><th>p99</th><th>success</th><th>hit rate</th></tr></thead><tbody>${rows}</tbody></table>
${charts}</body></html>`
}
