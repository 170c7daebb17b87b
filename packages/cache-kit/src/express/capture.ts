import { setImmediate } from 'node:timers'
import type { Request, Response } from 'express'
import type { TagSnapshot } from '../index.js'
import { DEFAULT_COMPRESS_THRESHOLD } from '../options.js'
import type { ResponseCache } from './cache-port.js'
import { gzipEtagOf, isStrongEtag, strongEtag } from './etag.js'
import type { ResponseFlight, ResponseFlights, SharedResponse } from './flights.js'
import { type HeldCall, type HoldPolicy, ResponseHold } from './hold.js'
import type { ResponsePolicy } from './options.js'
import { encodeRecord, type ResponseRecord, recordFits } from './record.js'
import { type ResolvedRows, rowsShown, type Shown, splitGuard } from './rows.js'
import { type CacheStatus, sendRecord } from './send-record.js'
import { type NotStorableReason, notStorable } from './storable.js'
import { varyOf, varyValue } from './vary.js'

type Callback = (err?: Error | null) => void
/** How a record is stored (`cache.set`'s options). */
type StoreOptions = { ttl: number; grace?: number; snapshot?: TagSnapshot; compress: false }

const EMPTY = Buffer.alloc(0)

/** The keyed request a capture stores under. */
export interface CaptureContext {
  readonly cache: ResponseCache
  readonly policy: ResponsePolicy
  readonly flights: ResponseFlights
  readonly key: string
  readonly ifNoneMatch: string | undefined
  readonly ifModifiedSince: string | undefined
}

/**
 * One miss in progress, a policy on {@link ResponseHold}: the handler's `end` is held (headers stay
 * on `res`, nothing reaches the socket), then judged by the never-store rules. A storable response
 * gets a strong ETag; once it is known to be stored (no invalidation ran during its handler), it is
 * gzipped once (from the cache's `compressThreshold`), shared with the flight's followers and sent
 * the way a hit is sent, then stored. Anything else is sent exactly as the handler wrote it. A
 * `write` before `end` is a streaming response: the capture steps aside and the stream flows
 * untouched.
 */
class Capture implements HoldPolicy {
  private readonly hold: ResponseHold
  /** `flushHeaders()` sent the head before `end`: nothing can be changed, so nothing is stored. */
  private flushed = false
  /** The object the handler passed to `res.json` (with `rows`). */
  private json: unknown
  /** The tags of the rows the response shows, read at `end` from {@link json}; an error if unreadable. */
  private shown: Shown | Error | undefined
  private readonly priorVary: string | undefined
  private readonly epoch: number
  private readonly keyEpoch: number
  /** With `rows`: the epoch once every invalidation that reached the store before the snapshot was heard. */
  private rowsEpoch: number | undefined
  private readonly cache: ResponseCache
  private readonly policy: ResponsePolicy
  private readonly flights: ResponseFlights
  private readonly key: string
  private readonly ifNoneMatch: string | undefined
  private readonly ifModifiedSince: string | undefined

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
    this.ifModifiedSince = keyed.ifModifiedSince
    this.priorVary = varyOf(res)
    this.epoch = keyed.flights.epoch
    this.keyEpoch = keyed.flights.keyEpoch
    this.hold = new ResponseHold(res, this, { head: true, watchClose: true })
    if (keyed.policy.rows) {
      this.keepJson(res)
      // An invalidation the store applied before the snapshot is heard (its event) some promise
      // jobs after its reply, which came before the snapshot's: maybe after this constructor, but
      // before the event loop's next check phase.
      setImmediate(() => {
        this.rowsEpoch = keyed.flights.epoch
      })
    }
  }

  /**
   * With `rows`: remembers the object the handler passes to `res.json`, so that the row ids are
   * read from it instead of parsing the sent bytes again (the ids are read before `end` returns,
   * so a later change of the object cannot move them).
   */
  private keepJson(res: Response): void {
    const json = res.json
    const capture = this
    res.json = function keptJson(this: Response, body: unknown) {
      capture.json = body
      return json.call(this, body)
    }
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
    const rows = this.policy.rows
    if (rows && this.json !== undefined) {
      try {
        this.shown = rowsShown(rows, this.req, this.json, this.cache.keepsRowSets !== false)
      } catch (err) {
        this.shown = err instanceof Error ? err : new Error(String(err))
      }
      // The handler's rows need not outlive the store's round trips: let them die young.
      this.json = undefined
    }
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

  /** Reports why the response is not stored; `undefined`, for `return`. */
  private notStored(reason: NotStorableReason): undefined {
    this.policy.onNotStored?.(reason, this.req)
    return undefined
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
    const identity = reason === undefined ? this.identityRecord(body, code) : undefined
    if (reason === undefined && identity === undefined) reason = 'record-limits'
    if (identity === undefined) {
      this.notStored(reason ?? 'cache-error')
      this.hold.release(false)
      if (code >= 500 && this.stale) {
        this.flights.finish(this.flight, this.stale)
        return this.send(this.stale.record, 'STALE', this.stale.storedAt, cb)
      }
      this.flights.finish(this.flight, undefined)
      if (!res.headersSent) {
        res.setHeader('x-cache', this.status)
        res.setHeader('vary', varyValue(policy, res))
      }
      res.end(body, cb)
      return
    }
    // Whether it is stored is decided first (a `rows` response reads its rows' versions here,
    // before its client is answered, so the client's own next write cannot slip in between): a
    // response refused because a write ran during its handler is nobody's to read again, so it is
    // not gzipped; it goes out as the handler sent it.
    let options: StoreOptions | undefined
    try {
      options = await this.storeOptions(body)
    } catch (err) {
      policy.onError(err)
      this.notStored('cache-error')
    }
    let record: ResponseRecord | undefined
    if (options) {
      try {
        record = await this.compressed(identity)
      } catch (err) {
        policy.onError(err)
        this.notStored('cache-error')
      }
    }
    if (options === undefined || record === undefined) {
      // Not stored (refused, or the store or the codec failed): the followers that joined it
      // share the handler's response all the same, as it is.
      this.flights.finish(this.flight, { record: identity, storedAt: Date.now(), stale: false })
      this.hold.release(false)
      return this.send(identity, this.status, undefined, cb, body)
    }
    // Followers in this process get the record now, and so does the client: the entry itself is
    // written after the client was answered. Storing late loses no write: the entry carries the
    // tag versions taken before the handler ran (and a `rows` response its rows' versions, taken
    // above), so a write that lands meanwhile leaves it invalid.
    this.flight?.resolve({ record, storedAt: Date.now(), stale: false })
    const stored = this.store(record, options)
    // A request that starts once the client has its answer (say, after a write in another process)
    // must not follow a response computed before it. Under strict consistency a tagged request
    // joins only a flight whose tag versions it read itself, so that flight may stay open until the
    // entry is stored (requests meanwhile are hits, not misses); any other ends now.
    if (this.snapshot && this.cache.consistency === 'strict')
      void stored.finally(() => this.flights.finish(this.flight, undefined))
    else this.flights.finish(this.flight, undefined)
    this.hold.release(false)
    await this.send(record, this.status, undefined, cb, body)
    await stored
  }

  /**
   * How to store the record, or `undefined` (reported to `onNotStored`) when an invalidation ran
   * since the handler started (its response may predate it). A response with a tag snapshot is
   * kept when only tags were invalidated: the snapshot leaves it invalid in the store if it must
   * be, and keeps it out of L1 if any invalidation was heard since it was taken.
   */
  private async storeOptions(body: Buffer): Promise<StoreOptions | undefined> {
    const current = this.snapshot
      ? this.flights.keyEpoch === this.keyEpoch
      : this.flights.epoch === this.epoch
    if (!current) return this.notStored('invalidated')
    if (this.snapshot === false) return this.notStored('cache-error')
    let snapshot = this.snapshot
    if (this.policy.rows && snapshot) {
      const stamped = await this.withRowTags(snapshot, body)
      if (typeof stamped === 'string') return this.notStored(stamped)
      snapshot = stamped
    }
    const opts: StoreOptions = { ttl: this.policy.ttl, compress: false }
    if (this.policy.grace > 0) opts.grace = this.policy.grace
    if (snapshot) opts.snapshot = snapshot
    return opts
  }

  /** Writes the record (never rejects: a failure is reported). `set` is bounded by the cache's timeout. */
  private async store(record: ResponseRecord, options: StoreOptions): Promise<void> {
    try {
      await this.cache.set(this.key, encodeRecord(record), options)
    } catch (err) {
      this.policy.onError(err)
      this.notStored('cache-error')
    }
  }

  /**
   * The snapshot to stamp a `rows` response with: its pre-handler tags and the tags of the rows
   * its body shows (a row set's tag in place of its rows' where the store keeps row sets). The row
   * tags' versions are taken now, together with the write epochs: if a write moved one since the
   * handler started, the rows may be older than their versions, so nothing is stored, unless the
   * store tells that none of those tags was invalidated since.
   */
  private async withRowTags(
    snapshot: TagSnapshot,
    body: Buffer,
  ): Promise<TagSnapshot | 'rows-unknown' | 'invalidated' | 'cache-error'> {
    const rows = this.policy.rows as ResolvedRows
    const { stamp, guard } = splitGuard(snapshot, rows.length)
    let shown: Shown
    try {
      if (this.shown instanceof Error) throw this.shown
      shown =
        this.shown ??
        rowsShown(rows, this.req, JSON.parse(body.toString()), this.cache.keepsRowSets !== false)
    } catch (err) {
      this.policy.onError(err)
      return 'rows-unknown'
    }
    const { tags, sets } = shown
    // This process invalidated a row it shows while the handler ran: the store would refuse the
    // response too, so it is not asked.
    if (this.rowsEpoch !== undefined && this.flights.invalidatedSince(this.rowsEpoch, tags) === true)
      return 'invalidated'
    // Where the store keeps a clock, a write elsewhere in the scope does not matter when the store
    // tells that none of the tags read now was invalidated since the handler started.
    const now = await this.cache.snapshotTags([...tags, ...guard.tags], {
      ...(snapshot.clock === undefined ? {} : { predating: { clock: snapshot.clock, count: tags.length } }),
      ...(sets.length === 0
        ? {}
        : { rowSets: { sets, ttl: this.policy.ttl + this.policy.grace, guard: guard.versions } }),
    })
    if (now === undefined) return 'cache-error'
    for (let i = 0; i < guard.tags.length; i++)
      if (now.versions[tags.length + i] !== guard.versions[i] && now.predate !== true) return 'invalidated'
    const stamped = { tags: [...stamp.tags], versions: [...stamp.versions] }
    const setVersions = now.setVersions
    // The rows of a set are checked through the set's one version.
    const covered = setVersions ? new Set(sets.flatMap((s) => s.rows)) : undefined
    for (let i = 0; i < tags.length; i++) {
      const tag = tags[i] as string
      if (covered?.has(tag)) continue
      stamped.tags.push(tag)
      stamped.versions.push(now.versions[i] as string)
    }
    if (setVersions)
      for (let i = 0; i < sets.length; i++) {
        stamped.tags.push((sets[i] as Shown['sets'][number]).tag)
        stamped.versions.push(setVersions[i] as string)
      }
    return snapshot.since === undefined ? stamped : { ...stamped, since: snapshot.since }
  }

  /** Sends a record as a hit is sent; `identity`, on a miss, spares inflating what was just deflated. */
  private async send(
    record: ResponseRecord,
    status: CacheStatus,
    storedAt: number | undefined,
    cb: Callback | undefined,
    identity?: Uint8Array,
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
        this.ifModifiedSince,
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

  /**
   * The handler's response as an identity record (what its client is sent), or `undefined` when
   * the record format cannot hold it (see {@link recordFits}).
   */
  private identityRecord(body: Buffer, status: number): ResponseRecord | undefined {
    const { res, policy } = this
    const given = res.getHeader('etag')
    const etag = isStrongEtag(given) ? given : strongEtag(body)
    const headers: string[] = []
    for (const name of policy.storedHeaders) addHeader(headers, name, res.getHeader(name))
    addHeader(headers, 'cache-control', res.getHeader('cache-control'))
    if (!recordFits(etag, headers)) return undefined
    return { status, etag, gzipEtag: etag, gzip: false, identityLength: body.byteLength, headers, body }
  }

  /**
   * The record to store: the body gzipped once, with the gzip representation's own ETag; as it is
   * when it is smaller than the cache's `compressThreshold` (1 KiB by default), where gzip costs
   * more than it saves (docs/performance.md, gzip threshold).
   */
  private async compressed(identity: ResponseRecord): Promise<ResponseRecord> {
    const threshold = this.cache.compressThreshold ?? DEFAULT_COMPRESS_THRESHOLD
    if (identity.body.byteLength === 0 || identity.body.byteLength < threshold) return identity
    const body = await this.cache.codec.gzip(identity.body)
    return { ...identity, gzip: true, gzipEtag: gzipEtagOf(identity.etag), body }
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
