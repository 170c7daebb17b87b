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

/**
 * The parts of Node's `OutgoingMessage` a seal sets: `_header`, the head as it went out (null until
 * then), which `headersSent` and every header method check; `_headerSent`, whether `_header` was
 * written to the socket yet. Long-standing fields that Express middleware read too (compression,
 * morgan).
 */
interface Outgoing {
  _header: string | null
  _headerSent: boolean
}

/**
 * What a sealed response's `_header` holds. Never written: the response's `write` and `end` are
 * the hold's while sealed, and `_headerSent` tells Node's `flushHeaders` it went out already.
 */
const SEALED_HEAD = 'HTTP/1.1 000 held by @hotpath/cache-kit\r\n\r\n'

/** What {@link seal} replaced, to put back. */
interface Seal {
  readonly res: Response
  /** `_header` and `_headerSent` as they were (null and false: nothing was sent yet). */
  readonly header: string | null
  readonly headerSent: boolean
  /** The status when sealed: a status set while held is undone. */
  readonly status: number
  readonly socket: Socket | null
  /** The seal its socket deferred to before this one (a hold nested in another), put back on unseal. */
  readonly outer: Seal | undefined
  /** A `socket.destroy(...)` made while sealed. */
  destroyed: unknown[] | undefined
  /** Unsealed: a destroy passes it by. */
  done: boolean
  timer: ReturnType<typeof setTimeout> | undefined
}

/** A socket's own `destroy` and the seal it defers to now (see {@link deferringDestroy}). */
interface SocketDestroy {
  readonly destroy: (...args: unknown[]) => unknown
  seal: Seal | undefined
}

const sockets = new WeakMap<Socket, SocketDestroy>()

/**
 * The socket's deferral slot. The first seal on a socket wraps its `destroy` once, for the
 * socket's life: the wrapper defers to the seal in the slot, else destroys. Not put back and
 * taken off again per response: the sockets of a keep-alive client serve many.
 */
function deferringDestroy(socket: Socket): SocketDestroy {
  const known = sockets.get(socket)
  if (known) return known
  const slot: SocketDestroy = { destroy: socket.destroy as SocketDestroy['destroy'], seal: undefined }
  sockets.set(socket, slot)
  socket.destroy = function deferredDestroy(this: Socket, ...args: unknown[]) {
    return destroyUnder(socket, slot, slot.seal, args)
  } as Socket['destroy']
  return slot
}

/**
 * A `socket.destroy(...args)` while `seal` holds the socket: the first waits for the held response
 * ({@link settleDestroy}), a second one, or 5 s of waiting, goes on to the seal outside it, and
 * past the last one the socket is destroyed.
 */
function destroyUnder(
  socket: Socket,
  slot: SocketDestroy,
  under: Seal | undefined,
  args: unknown[],
): unknown {
  let seal = under
  while (seal?.done) seal = seal.outer
  if (seal === undefined) return slot.destroy.apply(socket, args)
  if (seal.destroyed) {
    if (seal.timer) clearTimeout(seal.timer)
    seal.destroyed = undefined
    return destroyUnder(socket, slot, seal.outer, args)
  }
  const s = seal
  s.destroyed = args
  s.timer = setTimeout(() => {
    s.destroyed = undefined
    destroyUnder(socket, slot, s.outer, args)
  }, DESTROY_WAIT_MS)
  s.timer.unref?.()
  return socket
}

/**
 * Makes a held response look sent, the way Node itself tells: its `_header` is set (and marked
 * written), so `headersSent` is true and every header method (`setHeader`, `appendHeader`,
 * `removeHeader`, `writeHead`, and what Express builds on them) throws Node's own
 * `ERR_HTTP_HEADERS_SENT`; a handler that answers twice gets that error, and the first answer is
 * the one the client receives (a status set meanwhile is undone by {@link unseal}). A
 * `socket.destroy()` waits until the held response went out ({@link settleDestroy}); a second
 * `destroy()`, or 5 s of waiting, destroys at once. Two plain stores to fields every response has:
 * no property added, shadowed or deleted, so the response keeps its V8 shape (shadowing the four
 * header methods and defining a `headersSent` accessor per response costs a miss about 30 µs;
 * docs/performance.md, store-api miss).
 */
function seal(res: Response): Seal {
  const o = res as unknown as Outgoing
  const socket = res.socket
  const slot = socket ? deferringDestroy(socket) : undefined
  const s: Seal = {
    res,
    header: o._header,
    headerSent: o._headerSent,
    status: res.statusCode,
    socket,
    outer: slot?.seal,
    destroyed: undefined,
    done: false,
    timer: undefined,
  }
  o._header = SEALED_HEAD
  o._headerSent = true
  if (slot) slot.seal = s
  return s
}

/** Undoes {@link seal}: the response is unsent again, with the status it was sealed with. */
function unseal(s: Seal): void {
  const { res, socket } = s
  s.done = true
  const o = res as unknown as Outgoing
  o._header = s.header
  o._headerSent = s.headerSent
  res.statusCode = s.status
  if (socket) {
    const slot = sockets.get(socket)
    if (slot?.seal === s) slot.seal = s.outer
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
