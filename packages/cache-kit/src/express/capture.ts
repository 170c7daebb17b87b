import type { Request, Response } from 'express'
import type { TagSnapshot } from '../index.js'
import type { ResponseCache } from './cache-port.js'
import { gzipEtagOf, isStrongEtag, strongEtag } from './etag.js'
import type { ResponseFlight, ResponseFlights, SharedResponse } from './flights.js'
import { type HeldCall, type HoldPolicy, ResponseHold } from './hold.js'
import type { ResponsePolicy } from './options.js'
import { encodeRecord, type ResponseRecord, recordFits } from './record.js'
import { type CacheStatus, sendRecord } from './send-record.js'
import { type NotStorableReason, notStorable } from './storable.js'
import { varyOf, varyValue } from './vary.js'

type Callback = (err?: Error | null) => void

const EMPTY = Buffer.alloc(0)

/** The keyed request a capture stores under. */
export interface CaptureContext {
  readonly cache: ResponseCache
  readonly policy: ResponsePolicy
  readonly flights: ResponseFlights
  readonly key: string
  readonly ifNoneMatch: string | undefined
}

/**
 * One miss in progress, a policy on {@link ResponseHold}: the handler's `end` is held (headers stay
 * on `res`, nothing reaches the socket), then judged by the never-store rules. A storable response
 * is gzipped once, given a strong ETag, shared with the flight's followers, stored, then sent the
 * way a hit is sent. Anything else is sent exactly as the handler wrote it. A `write` before `end`
 * is a streaming response: the capture steps aside and the stream flows untouched.
 */
class Capture implements HoldPolicy {
  private readonly hold: ResponseHold
  /** `flushHeaders()` sent the head before `end`: nothing can be changed, so nothing is stored. */
  private flushed = false
  private readonly priorVary: string | undefined
  private readonly epoch: number
  private readonly keyEpoch: number
  private readonly cache: ResponseCache
  private readonly policy: ResponsePolicy
  private readonly flights: ResponseFlights
  private readonly key: string
  private readonly ifNoneMatch: string | undefined

  constructor(
    keyed: CaptureContext,
    private readonly req: Request,
    private readonly res: Response,
    /** The flight this request leads, if any. */
    private readonly flight: ResponseFlight | undefined,
    /** `X-Cache` for the handler's response: `MISS`, or `BYPASS` for a request `no-cache`. */
    private readonly status: CacheStatus,
    /** A stale entry to serve instead of a 5xx (grace). */
    private readonly stale: SharedResponse | undefined,
    /**
     * Tag versions taken before the handler ran (the entry is stamped with them, so a write that
     * invalidates meanwhile, in any process, leaves it invalid); `false`: do not store.
     */
    private readonly snapshot: TagSnapshot | false | undefined,
  ) {
    this.cache = keyed.cache
    this.policy = keyed.policy
    this.flights = keyed.flights
    this.key = keyed.key
    this.ifNoneMatch = keyed.ifNoneMatch
    this.priorVary = varyOf(res)
    this.epoch = keyed.flights.epoch
    this.keyEpoch = keyed.flights.keyEpoch
    this.hold = new ResponseHold(res, this, { head: true, watchClose: true })
  }

  first(method: 'write' | 'end'): 'hold' | 'pass' {
    if (method === 'end') {
      this.flushed = this.res.headersSent
      return 'hold'
    }
    // A write before end: hand the stream back untouched.
    this.flights.finish(this.flight, undefined)
    this.notStored('streaming')
    if (!this.res.headersSent) {
      this.res.setHeader('x-cache', this.status)
      this.res.setHeader('vary', varyValue(this.policy, this.res))
    }
    return 'pass'
  }

  complete(calls: readonly HeldCall[]): void {
    const [chunk, encoding, cb] = endArgs((calls[calls.length - 1] as HeldCall).args)
    const body =
      chunk === undefined || chunk === null
        ? EMPTY
        : typeof chunk === 'string'
          ? Buffer.from(chunk, encoding)
          : (chunk as Buffer)
    this.finish(body, cb)
      .catch((err: unknown) => {
        // Whatever failed, the client must not wait for an end that never comes.
        this.policy.onError(err)
        this.hold.release(false)
        if (!this.res.writableEnded) this.res.destroy()
      })
      .finally(() => this.hold.settle())
  }

  /** The client went away before the handler answered. */
  gone(): void {
    this.flights.finish(this.flight, undefined)
  }

  error(err: unknown): void {
    this.policy.onError(err)
  }

  private notStored(reason: NotStorableReason): void {
    this.policy.onNotStored?.(reason, this.req)
  }

  private async finish(body: Buffer, cb: Callback | undefined): Promise<void> {
    const { res, policy } = this
    const code = res.statusCode
    let reason: NotStorableReason | undefined =
      this.req.method === 'HEAD'
        ? 'head'
        : this.flushed
          ? 'flushed'
          : notStorable(policy, res, code, body.byteLength, this.priorVary)
    let record: ResponseRecord | undefined
    if (reason === undefined) {
      try {
        record = await this.toRecord(body, code)
        if (record === undefined) reason = 'record-limits'
      } catch (err) {
        policy.onError(err)
        reason = 'cache-error'
      }
    }
    if (record === undefined) {
      this.notStored(reason ?? 'cache-error')
      this.hold.release(false)
      if (code >= 500 && this.stale) {
        this.flights.finish(this.flight, this.stale)
        return this.send(this.stale.record, 'STALE', this.stale.storedAt, undefined, cb)
      }
      this.flights.finish(this.flight, undefined)
      if (!res.headersSent) {
        res.setHeader('x-cache', this.status)
        res.setHeader('vary', varyValue(policy, res))
      }
      res.end(body, cb)
      return
    }
    const storedAt = Date.now()
    // Followers in this process get the record now; the client gets it once it is stored, so that
    // its next request (here or in another process) is a hit. `set` is bounded by the cache's timeout.
    this.flight?.resolve({ record, storedAt, stale: false })
    try {
      // An invalidation since this handler started: its response may predate it, keep it out.
      // Under strict consistency a response with a tag snapshot is kept when only tags were
      // invalidated: the snapshot leaves it invalid if it must be, and every read (L1 included)
      // checks that. (Without strict, an L1 copy is not checked, so the epoch still decides.)
      const current =
        this.snapshot && this.cache.consistency === 'strict'
          ? this.flights.keyEpoch === this.keyEpoch
          : this.flights.epoch === this.epoch
      if (!current) this.notStored('invalidated')
      else if (this.snapshot === false) this.notStored('cache-error')
      else await this.store(record)
    } finally {
      this.flights.finish(this.flight, undefined)
    }
    this.hold.release(false)
    await this.send(record, this.status, undefined, body, cb)
  }

  private async send(
    record: ResponseRecord,
    status: CacheStatus,
    storedAt: number | undefined,
    identity: Uint8Array | undefined,
    cb: Callback | undefined,
  ) {
    try {
      await sendRecord(
        this.cache,
        this.policy,
        this.req,
        this.res,
        record,
        status,
        storedAt,
        this.ifNoneMatch,
        this.flights.inflated,
        identity,
      )
    } catch (err) {
      // Whatever went wrong, the client still gets an answer: the handler's own bytes if we have them.
      this.policy.onError(err)
      if (!this.res.headersSent) {
        if (identity) this.res.end(identity)
        else this.res.writeHead(502).end()
      } else if (!this.res.writableEnded) this.res.end()
    } finally {
      cb?.()
    }
  }

  /** The record to store; `undefined` when it cannot be held by the record format (see {@link recordFits}). */
  private async toRecord(body: Buffer, status: number): Promise<ResponseRecord | undefined> {
    const { res, policy } = this
    const given = res.getHeader('etag')
    const etag = isStrongEtag(given) ? given : strongEtag(body)
    const headers: string[] = []
    for (const name of policy.storedHeaders) addHeader(headers, name, res.getHeader(name))
    addHeader(headers, 'cache-control', res.getHeader('cache-control'))
    if (!recordFits(etag, headers)) return undefined
    const gzip = body.byteLength > 0
    const stored = gzip ? await this.cache.codec.gzip(body) : body
    const gzipEtag = gzip ? gzipEtagOf(etag) : etag
    return { status, etag, gzipEtag, gzip, identityLength: body.byteLength, headers, body: stored }
  }

  private async store(record: ResponseRecord): Promise<void> {
    const { policy } = this
    const opts: { ttl: number; grace?: number; snapshot?: TagSnapshot; compress: false } = {
      ttl: policy.ttl,
      compress: false,
    }
    if (policy.grace > 0) opts.grace = policy.grace
    if (this.snapshot) opts.snapshot = this.snapshot
    try {
      await this.cache.set(this.key, encodeRecord(record), opts)
    } catch (err) {
      policy.onError(err)
      this.notStored('cache-error')
    }
  }
}

function addHeader(out: string[], name: string, value: unknown): void {
  if (value === undefined) return
  if (Array.isArray(value)) for (const v of value) out.push(name, String(v))
  else out.push(name, String(value))
}

/** `end(chunk?, encoding?, cb?)` with its optional arguments placed. */
function endArgs(args: readonly unknown[]): [unknown, BufferEncoding | undefined, Callback | undefined] {
  const [chunk, encoding, cb] = args
  if (typeof chunk === 'function') return [undefined, undefined, chunk as Callback]
  if (typeof encoding === 'function') return [chunk, undefined, encoding as Callback]
  return [chunk, encoding as BufferEncoding | undefined, cb as Callback | undefined]
}

/**
 * Starts capturing the handler's response to a miss (see {@link Capture}); the handler runs next.
 */
export function captureMiss(
  keyed: CaptureContext,
  req: Request,
  res: Response,
  flight: ResponseFlight | undefined,
  status: CacheStatus,
  stale: SharedResponse | undefined,
  snapshot: TagSnapshot | false | undefined,
): void {
  new Capture(keyed, req, res, flight, status, stale, snapshot)
}
