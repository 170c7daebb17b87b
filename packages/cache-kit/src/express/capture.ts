import type { OutgoingHttpHeaders } from 'node:http'
import type { Request, Response } from 'express'
import type { TagSnapshot } from '../index.js'
import type { ResponseCache } from './cache-port.js'
import { type Callback, type End, type Write, type WriteHead, wrappers } from './capture-methods.js'
import { gzipEtagOf, isStrongEtag, strongEtag } from './etag.js'
import type { Flight, ResponseFlights, SharedResponse } from './flights.js'
import type { ResponsePolicy } from './options.js'
import { encodeRecord, type ResponseRecord } from './record.js'
import { ignoreLate, type Seal, seal, settleDestroy, unseal } from './sealed.js'
import { type CacheStatus, sendRecord, varyValue } from './send-record.js'
import { notStorable } from './storable.js'

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
 * One miss in progress: the handler's output is buffered (headers stay on `res`, nothing reaches
 * the socket) until `end`, then judged by the never-store rules. A storable response is gzipped
 * once, given a strong ETag, shared with the flight's followers, stored, then sent the way a
 * hit is sent. Anything else is sent exactly as the handler wrote it. A `write` before `end` is a
 * streaming response: the capture steps aside and the stream flows untouched.
 */
export class Capture {
  private readonly chunks: Buffer[] = []
  private size = 0
  private ended = false
  /** Between the handler's `end` and our send, the response counts as sent (see {@link seal}). */
  private sealed: Seal | undefined
  /** `flushHeaders()` sent the head before `end`: nothing can be changed, so nothing is stored. */
  private flushed = false
  private readonly origWriteHead: WriteHead
  private readonly origWrite: Write
  private readonly origEnd: End
  /** Our wrappers; once done (see {@link restore}) they pass calls straight to the originals. */
  private readonly own: { writeHead: WriteHead; write: Write; end: End }
  private done = false
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
    private readonly flight: Flight | undefined,
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
    this.origWriteHead = res.writeHead
    this.origWrite = res.write
    this.origEnd = res.end
    const v = res.getHeader('vary')
    this.priorVary = v === undefined ? undefined : String(v)
    this.epoch = keyed.flights.epoch
    this.keyEpoch = keyed.flights.keyEpoch
    this.own = wrappers(this)
    res.writeHead = this.own.writeHead
    res.write = this.own.write
    res.end = this.own.end
    res.once('close', () => this.abort())
  }

  /** @internal The originals, for our wrappers once done. */
  get originals(): { writeHead: WriteHead; write: Write; end: End } | undefined {
    return this.done ? { writeHead: this.origWriteHead, write: this.origWrite, end: this.origEnd } : undefined
  }

  /**
   * Puts the response's methods back where ours are still in place; where another middleware
   * wrapped ours meanwhile (e.g. a response-time header), its wrapper stays, and ours pass through.
   */
  private restore(): void {
    this.done = true
    const r = this.res
    if (r.writeHead === this.own.writeHead) r.writeHead = this.origWriteHead
    if (r.write === this.own.write) r.write = this.origWrite
    if (r.end === this.own.end) r.end = this.origEnd
  }

  /** @internal */ head(args: unknown[]): void {
    const [code, second, third] = args
    if (typeof code === 'number') this.res.statusCode = code
    if (typeof second === 'string') this.res.statusMessage = second
    const headers = typeof second === 'string' ? third : second
    if (Array.isArray(headers)) {
      // Flat `[name, value, …]` or `[[name, value], …]`.
      if (Array.isArray(headers[0]))
        for (const [k, v] of headers as [string, string][]) this.res.setHeader(k, v)
      else for (let i = 0; i + 1 < headers.length; i += 2) this.res.setHeader(headers[i], headers[i + 1])
    } else if (headers && typeof headers === 'object') {
      for (const [k, v] of Object.entries(headers as OutgoingHttpHeaders))
        if (v !== undefined) this.res.setHeader(k, v)
    }
  }

  /** Hands the response back: its own methods and `headersSent` again. */
  private open(): void {
    if (this.sealed) unseal(this.sealed)
    this.sealed = undefined
    this.restore()
  }

  /** @internal A write before end: hand the stream back untouched. */
  stream(chunk: unknown, encoding: unknown, cb: unknown): boolean {
    // After `end` nothing more is written (Node refuses it too); a callback still runs at finish.
    if (this.ended) {
      ignoreLate(this.res, [cb])
      return false
    }
    this.restore()
    this.flights.finish(this.flight, undefined)
    if (!this.res.headersSent) {
      this.res.setHeader('x-cache', this.status)
      this.res.setHeader('vary', varyValue(this.policy, this.res))
    }
    if (this.size > 0) this.res.write(Buffer.concat(this.chunks))
    return (this.res.write as (c: unknown, e: unknown, cb: unknown) => boolean)(chunk, encoding, cb)
  }

  /** @internal */ end(chunk: unknown, encoding: unknown, cb: Callback | undefined): void {
    if (this.ended) {
      ignoreLate(this.res, [cb])
      return
    }
    this.ended = true
    if (chunk !== undefined && chunk !== null && typeof chunk !== 'function') {
      const b = typeof chunk === 'string' ? Buffer.from(chunk, encoding as BufferEncoding) : (chunk as Buffer)
      this.chunks.push(b)
      this.size += b.byteLength
    }
    // The capture's methods stay in place (a second end or write is ignored) until we send.
    this.flushed = this.res.headersSent
    const sealed = seal(this.res)
    this.sealed = sealed
    this.finish(cb)
      .catch((err: unknown) => {
        // Whatever failed, the client must not wait for an end that never comes.
        this.policy.onError(err)
        this.open()
        if (!this.res.writableEnded) this.res.destroy()
      })
      .finally(() => settleDestroy(sealed))
  }

  /** @internal The client went away before the handler answered. */
  abort(): void {
    if (this.ended) return
    this.ended = true
    this.restore()
    this.flights.finish(this.flight, undefined)
  }

  private async finish(cb: Callback | undefined): Promise<void> {
    const { res, policy } = this
    const body =
      this.chunks.length === 0
        ? EMPTY
        : this.chunks.length === 1
          ? (this.chunks[0] as Buffer)
          : Buffer.concat(this.chunks)
    const code = res.statusCode
    // flushHeaders() sent the head already: nothing can be changed any more, so nothing is stored.
    const reason =
      this.req.method === 'HEAD' || this.flushed
        ? 'not-a-full-response'
        : notStorable(policy, res, code, body.byteLength, this.priorVary)
    let record: ResponseRecord | undefined
    if (reason === undefined) {
      try {
        record = await this.toRecord(body, code)
      } catch (err) {
        policy.onError(err)
      }
    }
    if (record === undefined) {
      this.open()
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
      if (current && this.snapshot !== false) await this.store(record)
    } finally {
      this.flights.finish(this.flight, undefined)
    }
    this.open()
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

  private async toRecord(body: Buffer, status: number): Promise<ResponseRecord> {
    const { res, policy } = this
    const given = res.getHeader('etag')
    const etag = isStrongEtag(given) ? given : strongEtag(body)
    const headers: string[] = []
    for (const name of policy.storedHeaders) addHeader(headers, name, res.getHeader(name))
    addHeader(headers, 'cache-control', res.getHeader('cache-control'))
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
    }
  }
}

function addHeader(out: string[], name: string, value: unknown): void {
  if (value === undefined) return
  if (Array.isArray(value)) for (const v of value) out.push(name, String(v))
  else out.push(name, String(value))
}
