import autocannon from 'autocannon'
import { type MixData, type MixRequest, mixGenerator } from './mix.js'
import { type ReadBack, WriteLog } from './read-back.js'
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
  /** HIT + STALE over the mix's reads that carried `X-Cache` (0 when none did: cache off). */
  readonly cacheHitRate: number
  /** Reads of the mix that carried `X-Cache` (every read when the cache is on). */
  readonly cacheableReads: number
  /** Read-backs sent: one per write that succeeded (see `read-back.ts`); not in the hit rate. */
  readonly readBacks: number
  /** Read-backs that showed a state older than their user's write (read-your-writes violations). */
  readonly staleReads: number
  readonly xCache: Readonly<Record<string, number>>
  /**
   * The mix's reads that carried `X-Cache`, and their hits (HIT + STALE), per kind of request
   * (`products list`, `stock detail`… as `mix.ts` names them): which reads the cache misses.
   */
  readonly readsByKind: Readonly<Record<string, KindReads>>
  readonly statuses: Readonly<Record<string, number>>
  readonly errors: number
  readonly latencies: readonly number[]
  /** Per second: requests, hits among cacheable reads, reads with X-Cache. */
  readonly timeline: readonly { second: number; requests: number; hits: number; cacheable: number }[]
}

/** Reads of one kind in a phase (see {@link PhaseResult.readsByKind}). */
export interface KindReads {
  readonly reads: number
  readonly hits: number
}

/** What one virtual user (one autocannon connection) has in flight and must read back next. */
interface UserState {
  sending?:
    | { readonly mix: MixRequest; readonly handle: ReturnType<WriteLog['sent']> }
    | { readonly readBack: ReadBack }
    | undefined
  readBack?: ReadBack | undefined
}

/**
 * Runs the mix with autocannon against `url` and measures it (latency per request, X-Cache per
 * response). Each virtual user reads back each of its writes right after it answered (an extra
 * request counted in `requests` and latencies, not in the hit rate) and counts stale read-backs.
 */
export async function runLoad(o: LoadOptions): Promise<PhaseResult> {
  const next = mixGenerator(o.data, o.writeRatio)
  const writes = new WriteLog()
  const total = o.users * o.requests
  const latencies: number[] = []
  const xCache: Record<string, number> = {}
  const byKind: Record<string, { reads: number; hits: number }> = {}
  const statuses: Record<string, number> = {}
  const timeline = new Map<number, { requests: number; hits: number; cacheable: number }>()
  let readBacks = 0
  let staleReads = 0
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
  // autocannon gives each connection a deep copy of its options, `requests` included, and passes
  // the request definition's own properties to `setupRequest`: `user` is per connection. (Its
  // `context` is reset before every request when the request list has one entry.)
  const perUser = { user: {} as UserState }
  const auth = `Bearer ${o.apiKey}`
  const instance = autocannon(
    {
      url: o.url,
      connections: o.users,
      ...(o.duration ? { duration: o.duration } : { amount: total }),
      timeout: 10,
      requests: [
        {
          ...perUser,
          setupRequest: (req, context) => {
            const user = (req as typeof req & typeof perUser).user
            ;(context as { user?: UserState }).user = user
            if (user.readBack) {
              const readBack = user.readBack
              user.readBack = undefined
              user.sending = { readBack }
              // No Accept-Encoding: the read-back's body is judged as JSON.
              return {
                ...req,
                method: 'GET',
                path: readBack.path,
                headers: { authorization: auth },
                body: undefined,
              }
            }
            const m = next()
            user.sending = { mix: m, handle: m.changes ? writes.sent(m.changes) : undefined }
            // A fresh headers object per request: autocannon adds Content-Length to the object it
            // is given, and a GET that inherits a write's Content-Length stalls its connection.
            const headers: Record<string, string> = {
              authorization: auth,
              'accept-encoding': 'gzip',
              ...(m.body ? { 'content-type': 'application/json' } : {}),
            }
            return { ...req, method: m.method, path: m.path, headers, body: m.body }
          },
          onResponse: (status, body, context, headers) => {
            statuses[status] = (statuses[status] ?? 0) + 1
            const s = slot()
            s.requests++
            const user = (context as { user?: UserState }).user
            const sending = user?.sending
            if (!user || !sending) return
            user.sending = undefined
            if ('readBack' in sending) {
              // A read-back that failed (a 429 from a rate-limited --url server, a 5xx) shows no
              // state: it counts against success, not as a stale read.
              if (status !== 200) return
              readBacks++
              if (sending.readBack.isStale(status, body)) staleReads++
              return
            }
            if (sending.mix.changes) {
              user.readBack = writes.answered(sending.mix.changes, sending.handle, status, body)
              return
            }
            const h = (headers as Record<string, string | undefined>)['x-cache']
            if (h) {
              xCache[h] = (xCache[h] ?? 0) + 1
              const kind = byKind[sending.mix.kind] ?? { reads: 0, hits: 0 }
              byKind[sending.mix.kind] = kind
              kind.reads++
              s.cacheable++
              if (h === 'HIT' || h === 'STALE') {
                s.hits++
                kind.hits++
              }
            }
          },
        },
      ],
    },
    (err, result) => (err ? fail(err) : finish(result)),
  )
  // The run ends with its last response: autocannon calls back only on its next one-second tick,
  // which would round every phase's duration up to whole seconds.
  let lastResponseAt = started
  instance.on('response', (_client: unknown, _status: number, _bytes: number, responseTime: number) => {
    latencies.push(responseTime)
    lastResponseAt = Date.now()
  })
  const timer = setInterval(() => {
    const fraction = o.duration ? (Date.now() - started) / (o.duration * 1000) : latencies.length / total
    o.onProgress?.(Math.min(1, fraction))
  }, 100)
  const result = await done
  clearInterval(timer)
  o.onProgress?.(1)
  const seconds = ((o.duration ? Date.now() : lastResponseAt) - started) / 1000
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
    cacheableReads: cacheable,
    readBacks,
    staleReads,
    xCache,
    readsByKind: byKind,
    statuses,
    errors,
    latencies,
    timeline: [...timeline].sort((a, b) => a[0] - b[0]).map(([second, v]) => ({ second, ...v })),
  }
}
