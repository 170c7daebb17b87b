import autocannon from 'autocannon'
import { type MixData, mixGenerator } from './mix.js'
import { type LatencySummary, summarize } from './stats.js'

/** Options of one load phase. */
export interface LoadOptions {
  readonly url: string
  readonly apiKey: string
  /** Concurrent connections (virtual users). */
  readonly users: number
  /** Requests per user (total = users × requests), unless `duration` is given. */
  readonly requests: number
  /** Seconds; overrides `requests`. */
  readonly duration?: number
  readonly writeRatio: number
  readonly data: MixData
  /** Called about ten times a second with the fraction done. */
  readonly onProgress?: (fraction: number) => void
}

/** What one phase measured. */
export interface PhaseResult {
  readonly requests: number
  readonly durationSeconds: number
  readonly requestsPerSecond: number
  readonly latency: LatencySummary
  /** 2xx and 304 over all responses (errors and timeouts count as failures). */
  readonly successRate: number
  /** HIT + STALE over the reads that carried `X-Cache`. */
  readonly cacheHitRate: number
  readonly xCache: Readonly<Record<string, number>>
  readonly statuses: Readonly<Record<string, number>>
  readonly errors: number
  readonly latencies: readonly number[]
  /** Per second: requests, hits among cacheable reads, reads with X-Cache. */
  readonly timeline: readonly { second: number; requests: number; hits: number; cacheable: number }[]
}

/** Runs the mix with autocannon against `url` and measures it (latency per request, X-Cache per response). */
export async function runLoad(o: LoadOptions): Promise<PhaseResult> {
  const next = mixGenerator(o.data, o.writeRatio)
  const total = o.users * o.requests
  const latencies: number[] = []
  const xCache: Record<string, number> = {}
  const statuses: Record<string, number> = {}
  const timeline = new Map<number, { requests: number; hits: number; cacheable: number }>()
  const started = Date.now()
  const slot = () => {
    const second = Math.floor((Date.now() - started) / 1000)
    let s = timeline.get(second)
    if (!s) {
      s = { requests: 0, hits: 0, cacheable: 0 }
      timeline.set(second, s)
    }
    return s
  }
  let finish: (r: autocannon.Result) => void = () => {}
  let fail: (e: unknown) => void = () => {}
  const done = new Promise<autocannon.Result>((res, rej) => {
    finish = res
    fail = rej
  })
  const instance = autocannon(
    {
      url: o.url,
      connections: o.users,
      ...(o.duration ? { duration: o.duration } : { amount: total }),
      timeout: 10,
      requests: [
        {
          setupRequest: (req) => {
            const m = next()
            // A fresh headers object per request: autocannon adds Content-Length to the object it
            // is given, and a GET that inherits a write's Content-Length stalls its connection.
            const headers: Record<string, string> = {
              authorization: `Bearer ${o.apiKey}`,
              'accept-encoding': 'gzip',
              ...(m.body ? { 'content-type': 'application/json' } : {}),
            }
            return { ...req, method: m.method, path: m.path, headers, body: m.body }
          },
          onResponse: (status, _body, _ctx, headers) => {
            statuses[status] = (statuses[status] ?? 0) + 1
            const s = slot()
            s.requests++
            const h = (headers as Record<string, string | undefined>)['x-cache']
            if (h) {
              xCache[h] = (xCache[h] ?? 0) + 1
              s.cacheable++
              if (h === 'HIT' || h === 'STALE') s.hits++
            }
          },
        },
      ],
    },
    (err, result) => (err ? fail(err) : finish(result)),
  )
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime)
  })
  const timer = setInterval(() => {
    const fraction = o.duration ? (Date.now() - started) / (o.duration * 1000) : latencies.length / total
    o.onProgress?.(Math.min(1, fraction))
  }, 100)
  const result = await done
  clearInterval(timer)
  o.onProgress?.(1)
  const seconds = (Date.now() - started) / 1000
  const responses = Object.values(statuses).reduce((a, b) => a + b, 0)
  const ok = Object.entries(statuses).reduce(
    (a, [s, n]) => a + ((Number(s) >= 200 && Number(s) < 300) || Number(s) === 304 ? n : 0),
    0,
  )
  const cacheable = Object.values(xCache).reduce((a, b) => a + b, 0)
  const hits = (xCache.HIT ?? 0) + (xCache.STALE ?? 0)
  const errors = result.errors + result.timeouts
  return {
    requests: responses,
    durationSeconds: seconds,
    requestsPerSecond: responses / seconds,
    latency: summarize(latencies),
    successRate: responses + errors === 0 ? 0 : ok / (responses + errors),
    cacheHitRate: cacheable === 0 ? 0 : hits / cacheable,
    xCache,
    statuses,
    errors,
    latencies,
    timeline: [...timeline].sort((a, b) => a[0] - b[0]).map(([second, v]) => ({ second, ...v })),
  }
}
