import { LOAD } from './durations.js'
import { type HttpRequest, type HttpResponse, send, xCache } from './http-client.js'

/** One request of a load run and how to judge its response. */
export interface LoadOp {
  /** Label for the counters (`read-detail`, `write-price`…). */
  readonly kind: string
  /** Which instance to send it to; default: the run's `origin`. */
  readonly origin?: string
  readonly req: HttpRequest
  /**
   * Judges the response against the truth: a message when it is wrong, `undefined` when right.
   * Also where the workload records acknowledged writes.
   */
  readonly check?: (res: HttpResponse) => string | undefined | Promise<string | undefined>
}

/** One request as it happened, times in ms since the run's `t0`. */
export interface RequestRecord {
  readonly kind: string
  readonly path: string
  readonly start: number
  readonly end: number
  readonly status: number
  readonly xCache: string
  /** Why there was no response (status 0): refused, reset, timeout. */
  readonly error?: string
}

/** Bounds of a load run: it stops at whichever of `durationMs` and `maxRequests` comes first. */
export interface LoadOptions {
  readonly origin: string
  /** Requests started per second at most. */
  readonly rate: number
  /** Requests in flight at most. */
  readonly concurrency: number
  readonly durationMs: number
  readonly maxRequests: number
  /** `performance.now()` the record times are relative to (to line them up with fault windows). */
  readonly t0: number
  /** Builds the next request, right before it is sent. */
  readonly next: () => LoadOp
  /** Ends the run early once it returns true (checked before each request). */
  readonly stopWhen?: () => boolean
}

/** What a load run counted. */
export interface LoadResult {
  readonly sent: number
  readonly byStatus: Record<string, number>
  readonly byXCache: Record<string, number>
  /** Responses the check found wrong, with the reason (the first 20 kept in `violations`). */
  readonly wrong: number
  readonly violations: string[]
  /** When each wrong response's request started (ms since `t0`). */
  readonly wrongAt: number[]
  readonly records: RequestRecord[]
}

/**
 * Drives `next()` requests at most `rate`/s with at most `concurrency` in flight, counting status
 * codes and `X-Cache` values and running every op's check. Bounded in count and time.
 */
export async function runLoad(o: LoadOptions): Promise<LoadResult> {
  const started = performance.now()
  const gap = 1000 / o.rate
  const records: RequestRecord[] = []
  const violations: string[] = []
  const wrongAt: number[] = []
  let issued = 0
  const worker = async () => {
    for (;;) {
      const i = issued++
      if (i >= o.maxRequests) return
      const due = started + i * gap
      // Bounded in time as well as count: a server slower than `rate` is not given a backlog.
      if (due - started >= o.durationMs || performance.now() - started >= o.durationMs) return
      if (o.stopWhen?.()) return
      const wait = due - performance.now()
      if (wait > 0) await new Promise((r) => setTimeout(r, wait))
      const op = o.next()
      const start = performance.now() - o.t0
      const res = await send(op.origin ?? o.origin, op.req)
      const end = performance.now() - o.t0
      records.push({
        kind: op.kind,
        path: op.req.path,
        start,
        end,
        status: res.status,
        xCache: xCache(res),
        ...(res.error ? { error: res.error } : {}),
      })
      const problem = op.check ? await op.check(res) : undefined
      if (problem !== undefined) {
        wrongAt.push(start)
        if (violations.length < 20)
          violations.push(
            `${op.kind} ${op.req.path} @${Math.round(start)}ms → ${res.status} ${xCache(res)}: ${problem}`,
          )
      }
    }
  }
  await Promise.all(Array.from({ length: o.concurrency }, worker))
  return {
    sent: records.length,
    byStatus: countBy(records, (r) => String(r.status)),
    byXCache: countBy(records, (r) => r.xCache),
    wrong: wrongAt.length,
    violations,
    wrongAt,
    records,
  }
}

function countBy<T>(items: readonly T[], key: (t: T) => string): Record<string, number> {
  const out: Record<string, number> = {}
  for (const item of items) {
    const k = key(item)
    out[k] = (out[k] ?? 0) + 1
  }
  return out
}

/** Responses with a status of 500 or more, plus requests that got no response at all (status 0). */
export function serverErrors(
  records: readonly RequestRecord[],
  from = 0,
  to = Number.POSITIVE_INFINITY,
): number {
  return records.filter((r) => r.start >= from && r.start < to && (r.status >= 500 || r.status === 0)).length
}

/** {@link runLoad} at the suite's rate and concurrency (`LOAD`), at most rate × duration requests. */
export function runSuiteLoad(
  o: Pick<LoadOptions, 'origin' | 'durationMs' | 'next' | 'stopWhen'> & { t0?: number },
): Promise<LoadResult> {
  return runLoad({
    ...o,
    rate: LOAD.rate,
    concurrency: LOAD.concurrency,
    maxRequests: Math.ceil((LOAD.rate * o.durationMs) / 1000),
    t0: o.t0 ?? performance.now(),
  })
}

/** The first few requests that got no response (status 0), with why: for the report's notes. */
export function noResponseNotes(records: readonly RequestRecord[], max = 3): string[] {
  return records
    .filter((r) => r.status === 0)
    .slice(0, max)
    .map(
      (r) =>
        `no response: ${r.kind} ${r.path} @${Math.round(r.start)}+${Math.round(r.end - r.start)}ms: ${r.error ?? '?'}`,
    )
}
