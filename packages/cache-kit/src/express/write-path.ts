import type { Request, Response } from 'express'
import type { ResponseCache } from './cache-port.js'
import { flightsOf } from './flights.js'
import { type Invocation, runHandler } from './handler.js'
import type { InvalidationSpec, InvalidationTargets } from './options.js'
import { type Seal, seal, unseal, writable } from './sealed.js'

/** The methods that change data: only they invalidate (OPTIONS, TRACE and the like pass through). */
const WRITES = new Set(['POST', 'PUT', 'PATCH', 'DELETE'])
/**
 * Longest wait for a decorated method's promise once it answered: long enough for a commit, and
 * a bound for a method that waits on its own response (`await once(res, 'finish')`).
 */
const HANDLER_WAIT_MS = 1000

const HOLD = Symbol('hotpath.invalidation-hold')
type Held = Response & { [HOLD]?: InvalidationHold | undefined }
type Method = (this: Response, ...args: unknown[]) => unknown

/**
 * Holds a write's response at its first `write`/`end`: a 2xx first invalidates (awaited), then
 * goes out, so the client that wrote reads its write. Anything else goes out at once and
 * invalidates nothing (a failed write changed nothing). A cache failure is reported through
 * `onError` and the response still goes out: the write itself succeeded.
 *
 * When the handler returned a promise (a decorated method), the invalidation also waits for it:
 * a handler that answers inside its transaction invalidates only once the transaction committed,
 * and one that rejects after answering (rolled back) invalidates nothing.
 */
class InvalidationHold {
  private readonly origWrite: Method
  private readonly origEnd: Method
  private queue: [Method, unknown[]][] | undefined
  /** The held response is complete: later writes are refused, as Node refuses them after `end`. */
  private ended = false
  /** The handler wrote before it ended: it is streaming, and still writing when we are called. */
  private streamed = false
  private sealed: Seal | undefined
  /** The handler's own promise, when it returned one. */
  handler: PromiseLike<unknown> | undefined

  constructor(
    private readonly cache: ResponseCache,
    private readonly spec: InvalidationSpec,
    private readonly onError: (err: unknown) => void,
    private readonly req: Request,
    private readonly res: Response,
  ) {
    this.origWrite = res.write as unknown as Method
    this.origEnd = res.end as unknown as Method
    const r = res as Held
    r[HOLD] = this
    r.write = holdWrite as unknown as Response['write']
    r.end = holdEnd as unknown as Response['end']
  }

  /** @internal */ intercept(isEnd: boolean, args: unknown[]): void {
    const method = isEnd ? this.origEnd : this.origWrite
    if (this.queue) {
      if (this.ended) return
      this.queue.push([method, args])
      this.ended = isEnd
      return
    }
    const status = this.res.statusCode
    if (status < 200 || status >= 300) {
      this.restore()
      method.apply(this.res, args)
      return
    }
    this.queue = [[method, args]]
    this.ended = isEnd
    this.streamed = !isEnd
    // Held, the response counts as sent: a second answer gets Node's ERR_HTTP_HEADERS_SENT.
    this.sealed = seal(this.res)
    // A microtask later: a handler answering synchronously has returned its promise by then.
    Promise.resolve()
      .then(() => this.afterHandler())
      .catch(this.onError)
      .finally(() => this.release())
  }

  private restore(): void {
    const r = this.res as Held
    r.write = this.origWrite as unknown as Response['write']
    r.end = this.origEnd as unknown as Response['end']
    r[HOLD] = undefined
  }

  private release(): void {
    if (this.sealed) unseal(this.res, this.sealed)
    this.restore()
    // The socket may be gone (the client left, or an error handler destroyed it): nothing to send.
    for (const [method, args] of this.queue ?? []) {
      if (!writable(this.res)) break
      try {
        method.apply(this.res, args)
      } catch (err) {
        this.onError(err)
        break
      }
    }
  }

  /**
   * Invalidates once the handler's promise resolved (its transaction committed), bounded by
   * `HANDLER_WAIT_MS`; nothing when it rejected (rolled back). A streamed response (a `write`
   * before `end`) does not wait: its handler is still writing it.
   */
  private async afterHandler(): Promise<void> {
    if (this.handler && !this.streamed && (await settledWithin(this.handler, HANDLER_WAIT_MS)) === 'rejected')
      return
    await this.invalidate()
  }

  private async invalidate(): Promise<void> {
    // Responses computed before this write must not be shared or stored any more (a tag
    // snapshot covers tags; patterns it cannot see).
    const flights = flightsOf(this.cache)
    flights.epoch++
    const targets: InvalidationTargets =
      typeof this.spec === 'function' ? await this.spec(this.req) : this.spec
    const tags = isTagList(targets) ? targets : (targets.tags ?? [])
    const patterns = isTagList(targets) ? [] : (targets.patterns ?? [])
    if (patterns.length > 0) flights.keyEpoch++
    const work: Promise<unknown>[] = []
    if (tags.length > 0) work.push(this.cache.invalidateTags([...tags]))
    for (const p of patterns) work.push(this.cache.invalidatePattern(p))
    await Promise.all(work)
  }
}

function isTagList(t: InvalidationTargets): t is readonly string[] {
  return Array.isArray(t)
}

function holdWrite(this: Held, ...args: unknown[]): boolean {
  this[HOLD]?.intercept(false, args)
  return true
}

function holdEnd(this: Held, ...args: unknown[]): Response {
  this[HOLD]?.intercept(true, args)
  return this
}

/**
 * Runs a write handler with its response held until the invalidation it implies is done (and,
 * for a handler that returns a promise, until that promise settled).
 */
export function handleWrite(
  cache: ResponseCache,
  spec: InvalidationSpec,
  onError: (err: unknown) => void,
  call: Invocation,
): unknown {
  if (!WRITES.has(call.req.method)) return runHandler(call)
  const hold = new InvalidationHold(cache, spec, onError, call.req, call.res)
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
