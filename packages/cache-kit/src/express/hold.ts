import type { Socket } from 'node:net'
import type { Response } from 'express'

/**
 * Where a response the layer intercepts is in its life:
 *
 * - `open`: the handler has not written yet; its first `write` or `end` asks the policy.
 * - `held`: the policy holds it. The response looks sent to everyone else (`headersSent` is true,
 *   a status set meanwhile is undone, header changes throw `ERR_HTTP_HEADERS_SENT`, a
 *   `socket.destroy()` waits), and the handler's calls are queued; once it ended, later ones are
 *   ignored as Node ignores them.
 * - `released`: handed back. The response's own methods are in place again (or, where another
 *   middleware wrapped ours meanwhile, ours pass straight through).
 * - `aborted`: the client went away while open; everything passes straight through.
 */
export type HoldState = 'open' | 'held' | 'released' | 'aborted'

/** A call the handler made while its response was held. */
export interface HeldCall {
  readonly method: 'write' | 'end'
  readonly args: readonly unknown[]
}

/** What the layer using a hold decides. Implemented by a class, so a request costs no closures. */
export interface HoldPolicy {
  /** The handler's first `write` or `end` while open: hold it (queue it, seal the response) or let it pass. */
  first(method: 'write' | 'end'): 'hold' | 'pass'
  /** The held response is complete: `end` arrived (the last of `calls`). */
  complete?(calls: readonly HeldCall[]): void
  /** The client went away while the response was open (only with `watchClose`). */
  gone?(): void
  /** A queued call failed when replayed (the connection is closed: the client must not wait). */
  error(err: unknown): void
}

/** How a hold intercepts. */
export interface HoldOptions {
  /** Also take `writeHead` while open: its status and headers are applied to `res`, nothing is sent. */
  readonly head: boolean
  /** Tell the policy when the client goes away before the handler wrote (see {@link HoldPolicy.gone}). */
  readonly watchClose: boolean
}

type Method = (this: Response, ...args: unknown[]) => unknown

/** Longest a `socket.destroy()` waits for a held response (a hold that never ends must not pin its socket). */
const DESTROY_WAIT_MS = 5000

/**
 * The header methods a held response refuses (see {@link HoldState} `held`). Sealing sets them on
 * the response as plain properties and unsealing puts the methods back the same way, never
 * deleting anything (see {@link seal}).
 */
const REFUSED = ['setHeader', 'appendHeader', 'removeHeader', 'writeHead'] as const

/**
 * Intercepts one response's `write`/`end` (and `writeHead`, see {@link HoldOptions}) for a policy:
 * the miss capture (send the stored form, then store it) and the write hold (invalidate, then replay
 * what the handler wrote). It owns the interception, the sealing of a held response, late calls
 * and a `socket.destroy()` deferred while held. Each hold installs its own wrappers, so two holds
 * on one response nest: the inner one releases into the outer one.
 */
export class ResponseHold {
  state: HoldState = 'open'
  private readonly origWriteHead: Method | undefined
  private readonly origWrite: Method
  private readonly origEnd: Method
  private readonly ownWriteHead: Method | undefined
  private readonly ownWrite: Method
  private readonly ownEnd: Method
  private readonly queue: HeldCall[] = []
  /** `end` is queued: the held response is complete. */
  private ended = false
  private sealed: Seal | undefined

  constructor(
    private readonly res: Response,
    private readonly policy: HoldPolicy,
    options: HoldOptions,
  ) {
    const hold = this
    const r = res as unknown as Record<string, Method>
    this.origWrite = r.write as Method
    this.origEnd = r.end as Method
    this.ownWrite = function heldWrite(this: Response, ...args: unknown[]) {
      return hold.call('write', this, args)
    }
    this.ownEnd = function heldEnd(this: Response, ...args: unknown[]) {
      return hold.call('end', this, args)
    }
    r.write = this.ownWrite
    r.end = this.ownEnd
    if (options.head) {
      this.origWriteHead = r.writeHead as Method
      this.ownWriteHead = function heldWriteHead(this: Response, ...args: unknown[]) {
        if (hold.state !== 'open') return hold.origWriteHead!.apply(this, args)
        applyHead(this, args)
        return this
      }
      r.writeHead = this.ownWriteHead
    }
    if (options.watchClose) res.once('close', () => this.abort())
  }

  private call(method: 'write' | 'end', self: Response, args: unknown[]): unknown {
    const state = this.state
    if (state === 'released' || state === 'aborted')
      return (method === 'end' ? this.origEnd : this.origWrite).apply(self, args)
    if (state === 'open' && this.policy.first(method) === 'pass') {
      this.restore('released')
      return (method === 'end' ? this.origEnd : this.origWrite).apply(self, args)
    }
    if (this.ended) {
      ignoreLate(this.res, args)
      return method === 'end' ? self : false
    }
    if (this.state === 'open') {
      this.state = 'held'
      this.sealed = seal(this.res)
    }
    this.queue.push({ method, args })
    if (method === 'write') return true
    this.ended = true
    this.policy.complete?.(this.queue)
    return self
  }

  /** The client went away while open: step aside. */
  private abort(): void {
    if (this.state !== 'open') return
    this.restore('aborted')
    this.policy.gone?.()
  }

  /**
   * Puts the response's methods back where ours are still in place; where another middleware
   * wrapped ours meanwhile (e.g. a response-time header), its wrapper stays, and ours pass through.
   */
  private restore(state: 'released' | 'aborted'): void {
    this.state = state
    const r = this.res as unknown as Record<string, Method>
    if (r.write === this.ownWrite) r.write = this.origWrite
    if (r.end === this.ownEnd) r.end = this.origEnd
    if (this.ownWriteHead && r.writeHead === this.ownWriteHead) r.writeHead = this.origWriteHead!
  }

  /**
   * Hands the response back (unsealed, methods restored) and, with `replay`, sends what the handler
   * wrote while held. Call {@link settle} once the response was handed on. Idempotent.
   */
  release(replay: boolean): void {
    if (this.state !== 'held' && this.state !== 'open') return
    if (this.sealed) unseal(this.sealed)
    this.restore('released')
    if (replay) this.replay()
  }

  private replay(): void {
    const res = this.res
    // The client may have gone: nothing to send. A replay that throws ends the response (the
    // client would otherwise wait for an end that never comes).
    for (const { method, args } of this.queue) {
      if (!writable(res)) break
      try {
        ;(method === 'end' ? this.origEnd : this.origWrite).apply(res, args as unknown[])
      } catch (err) {
        this.policy.error(err)
        res.destroy(err as Error)
        break
      }
    }
  }

  /**
   * Runs a `socket.destroy()` made while held (Express' error handler, after a handler failed
   * having answered): once the response finished, or at once when it cannot finish any more (not
   * ended: a stream that failed midway; the client has gone).
   */
  settle(): void {
    const s = this.sealed
    this.sealed = undefined
    if (s) settleDestroy(s)
  }
}

/** Applies `writeHead(status, [message], headers)` to `res` without sending anything. */
function applyHead(res: Response, args: readonly unknown[]): void {
  const [code, second, third] = args
  if (typeof code === 'number') res.statusCode = code
  if (typeof second === 'string') res.statusMessage = second
  const headers = typeof second === 'string' ? third : second
  if (Array.isArray(headers)) {
    // Flat `[name, value, …]` or `[[name, value], …]`.
    if (Array.isArray(headers[0])) for (const [k, v] of headers as [string, string][]) res.setHeader(k, v)
    else for (let i = 0; i + 1 < headers.length; i += 2) res.setHeader(headers[i], headers[i + 1])
  } else if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers as Record<string, string | number | string[] | undefined>))
      if (v !== undefined) res.setHeader(k, v)
  }
}

/** Whether the response can still be written to (the client may have gone). */
export function writable(res: Response): boolean {
  return !res.destroyed && !res.writableEnded
}

/**
 * A `write` or `end` ignored because the held response already ended (Node refuses it too): its
 * callback still runs once the response finished, as Node would run it.
 */
function ignoreLate(res: Response, args: readonly unknown[]): void {
  const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined
  if (cb) res.once('finish', () => cb())
}

/** Set on a response while it is sealed (true), then false; never deleted (see {@link seal}). */
const SEALED = Symbol('hotpath.sealed')

/**
 * `headersSent` of a response a hold sealed once: true while sealed, else what its prototype
 * answers (Node's getter). One function for every response, so that V8 gives them all one shape.
 */
function sealedHeadersSent(this: Response): boolean {
  return (
    (this as unknown as Record<symbol, unknown>)[SEALED] === true ||
    Reflect.get(Object.getPrototypeOf(this) as object, 'headersSent', this) === true
  )
}

/** What {@link seal} replaced, to put back. */
interface Seal {
  readonly res: Response
  /** The response's own properties of the {@link REFUSED} names (wrappers other middleware set). */
  readonly own: readonly (PropertyDescriptor | undefined)[]
  /** The {@link REFUSED} methods the response had (its own, or its prototype's). */
  readonly inherited: readonly unknown[]
  /** The status when sealed: a status set while held is undone. */
  readonly status: number
  readonly socket: Socket | null
  readonly socketDestroy: PropertyDescriptor | undefined
  /** A `socket.destroy(...)` made while sealed. */
  destroyed: unknown[] | undefined
  timer: ReturnType<typeof setTimeout> | undefined
}

/** The error Node throws for a header change after the head went out. */
function refuse(): never {
  throw Object.assign(new Error('Cannot set headers after they are sent to the client'), {
    code: 'ERR_HTTP_HEADERS_SENT',
  })
}

/**
 * Makes a held response look sent: so a handler that answers twice gets Node's own error, and the
 * first answer is the one the client receives (a status set meanwhile is undone by {@link unseal}).
 * A `socket.destroy()` waits until the held response went out ({@link settleDestroy}); a second
 * `destroy()`, or 5 s of waiting, destroys at once. Nothing is deleted from the response, then or
 * on {@link unseal}: the properties it adds stay, set back to what the response had. A deletion
 * (whatever its order) or an accessor defined anew per response turns the response into a V8
 * dictionary-mode object, which Node's HTTP code then reads and writes slowly; with Express,
 * whose responses change prototype, even deleting the last property added does (see
 * docs/performance.md, store-api miss).
 */
function seal(res: Response): Seal {
  const r = res as unknown as Record<string | symbol, unknown>
  const own = REFUSED.map((name) => Object.getOwnPropertyDescriptor(res, name))
  const inherited = REFUSED.map((name) => r[name])
  for (const name of REFUSED) r[name] = refuse
  r[SEALED] = true
  if (Object.getOwnPropertyDescriptor(res, 'headersSent')?.get !== sealedHeadersSent)
    Object.defineProperty(res, 'headersSent', {
      configurable: true,
      enumerable: true,
      get: sealedHeadersSent,
    })
  const socket = res.socket
  const s: Seal = {
    res,
    own,
    inherited,
    status: res.statusCode,
    socket,
    socketDestroy: socket ? Object.getOwnPropertyDescriptor(socket, 'destroy') : undefined,
    destroyed: undefined,
    timer: undefined,
  }
  if (socket) {
    const destroy = socket.destroy
    const now = (args: unknown[]) => {
      if (s.timer) clearTimeout(s.timer)
      s.destroyed = undefined
      return destroy.apply(socket, args as [Error?])
    }
    Object.defineProperty(socket, 'destroy', {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        if (s.destroyed) return now(args)
        s.destroyed = args
        s.timer = setTimeout(() => now(args), DESTROY_WAIT_MS)
        s.timer.unref?.()
        return socket
      },
    })
  }
  return s
}

/**
 * Undoes {@link seal}: the response answers `headersSent` and the header methods as it did (a
 * wrapper another middleware set stays in place), and its status is the one it was sealed with.
 */
function unseal(s: Seal): void {
  const { res, socket } = s
  const r = res as unknown as Record<string | symbol, unknown>
  r[SEALED] = false
  for (let i = 0; i < REFUSED.length; i++) {
    const name = REFUSED[i] as (typeof REFUSED)[number]
    const d = s.own[i]
    if (d && !(d.writable === true && 'value' in d)) Object.defineProperty(res, name, d)
    else r[name] = s.inherited[i]
  }
  res.statusCode = s.status
  if (socket) {
    if (s.socketDestroy) Object.defineProperty(socket, 'destroy', s.socketDestroy)
    else delete (socket as unknown as Record<string, unknown>).destroy
  }
  if (s.timer) clearTimeout(s.timer)
}

/** Runs a `socket.destroy()` deferred while sealed (see {@link ResponseHold.settle}). */
function settleDestroy(s: Seal): void {
  const { res, socket } = s
  const args = s.destroyed
  s.destroyed = undefined
  if (!socket || !args) return
  const destroy = () => socket.destroy(...(args as [Error?]))
  if (res.writableFinished || res.destroyed || !socket.writable) destroy()
  // Not ended (a stream that failed midway): what was written goes out first (Node uncorks on
  // the next tick), then the connection closes, as it would have without the hold.
  else if (!res.writableEnded) setImmediate(destroy)
  else res.once('finish', destroy).once('close', destroy)
}
