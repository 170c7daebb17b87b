import type { Request, Response } from 'express'
import type { ResponseCache } from './cache-port.js'
import { flightsOf } from './flights.js'
import { type Invocation, runHandler } from './handler.js'
import { type HoldPolicy, ResponseHold } from './hold.js'
import type { InvalidationSpec, InvalidationTargets } from './options.js'
import { changeTags } from './row-tags.js'

/** The methods that change data: only they invalidate (OPTIONS, TRACE and the like pass through). */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/**
 * Longest wait for a decorated method's promise once it answered: long enough for a commit, and
 * a bound for a method that waits on its own response (`await once(res, 'finish')`).
 */
const HANDLER_WAIT_MS = 1000

/**
 * Holds a write's response at its first `write`/`end` (see {@link ResponseHold}): a 2xx first
 * invalidates (awaited), then goes out, so the client that wrote reads its write. Anything else
 * goes out at once and invalidates nothing (a failed write changed nothing). A cache failure is
 * reported through `onError` and the response still goes out: the write itself succeeded.
 *
 * When the handler returned a promise (a decorated method), the invalidation also waits for it:
 * a handler that answers inside its transaction invalidates once the transaction committed, and
 * one that rejects after answering (rolled back) invalidates nothing. The wait is bounded; past it
 * (or for a streamed response, whose handler is still writing) the response goes out after a
 * first invalidation, and a second one follows once the handler's promise resolved.
 */
class WriteHold implements HoldPolicy {
  private readonly hold: ResponseHold
  /** The handler wrote before it ended: it is streaming, and still writing when we are called. */
  private streamed = false
  /** The handler's own promise, when it returned one. */
  handler: PromiseLike<unknown> | undefined

  constructor(
    private readonly cache: ResponseCache,
    private readonly spec: InvalidationSpec,
    private readonly onError: (err: unknown) => void,
    private readonly req: Request,
    private readonly res: Response,
  ) {
    this.hold = new ResponseHold(res, this, { head: false, watchClose: false })
  }

  first(method: 'write' | 'end'): 'hold' | 'pass' {
    const status = this.res.statusCode
    if (status < 200 || status >= 300) return 'pass'
    this.streamed = method === 'write'
    // A microtask later: a handler answering synchronously has returned its promise by then.
    Promise.resolve()
      .then(() => this.afterHandler())
      .catch(this.onError)
      .finally(() => {
        try {
          this.hold.release(true)
        } finally {
          this.hold.settle()
        }
      })
    return 'hold'
  }

  error(err: unknown): void {
    this.onError(err)
  }

  /**
   * Invalidates once the handler's promise resolved (its transaction committed), waiting at most
   * `HANDLER_WAIT_MS`; nothing when it rejected (rolled back). A streamed response (a `write`
   * before `end`) does not wait: its handler is still writing it. Past the wait, or streamed, the
   * invalidation runs now and again once the promise resolves, so a commit that came late still
   * leaves no entry older than it.
   */
  private async afterHandler(): Promise<void> {
    const handler = this.handler
    if (!handler) return this.invalidate()
    const settled = this.streamed ? 'timeout' : await settledWithin(handler, HANDLER_WAIT_MS)
    if (settled === 'rejected') return
    if (settled === 'timeout')
      handler.then(
        () => this.invalidate().catch(this.onError),
        () => {},
      )
    await this.invalidate()
  }

  private async invalidate(): Promise<void> {
    // Responses computed before this write must not be shared or stored any more (a tag
    // snapshot covers tags; patterns it cannot see).
    const flights = flightsOf(this.cache)
    flights.epoch++
    const targets: InvalidationTargets =
      typeof this.spec === 'function' ? await this.spec(this.req) : this.spec
    const tags = isTagList(targets) ? [...targets] : [...(targets.tags ?? [])]
    const patterns = isTagList(targets) ? [] : (targets.patterns ?? [])
    const rows = isTagList(targets) ? [] : (targets.rows ?? [])
    if (rows.length > 0) {
      const changes = rows.map(changeTags)
      // The epochs move first: a response that read the old rows and learns its row tags only
      // now is then refused when storing (see row-tags.ts), whatever the order the rest lands in.
      await this.cache.invalidateTags(changes.map((c) => c.epoch))
      for (const c of changes) tags.push(...c.tags)
    }
    if (patterns.length > 0) flights.keyEpoch++
    const work: Promise<unknown>[] = []
    if (tags.length > 0) work.push(this.cache.invalidateTags(tags))
    for (const p of patterns) work.push(this.cache.invalidatePattern(p))
    await Promise.all(work)
  }
}

function isTagList(t: InvalidationTargets): t is readonly string[] {
  return Array.isArray(t)
}

/**
 * Runs a write handler with its response held until the invalidation it implies is done (and,
 * for a handler that returns a promise, until that promise settled, see {@link WriteHold}).
 */
export function handleWrite(
  cache: ResponseCache,
  spec: InvalidationSpec,
  onError: (err: unknown) => void,
  call: Invocation,
): unknown {
  if (!WRITES.has(call.req.method)) return runHandler(call)
  const hold = new WriteHold(cache, spec, onError, call.req, call.res)
  const out = runHandler(call)
  if (isThenable(out)) hold.handler = out
  return out
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return v !== null && typeof v === 'object' && typeof (v as PromiseLike<unknown>).then === 'function'
}

/** How `p` settled within `ms`: `'timeout'` when it had not. */
function settledWithin(p: PromiseLike<unknown>, ms: number): Promise<'resolved' | 'rejected' | 'timeout'> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), ms)
    timer.unref?.()
    p.then(
      () => {
        clearTimeout(timer)
        resolve('resolved')
      },
      () => {
        clearTimeout(timer)
        resolve('rejected')
      },
    )
  })
}
