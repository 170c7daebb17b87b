import type { CacheEntry, TagSnapshot } from '../index.js'
import type { ResponseCache } from './cache-port.js'
import { type CaptureContext, captureMiss } from './capture.js'
import { CacheResponseError } from './errors.js'
import { flightsOf, type ResponseFlight, type SharedResponse } from './flights.js'
import { type Invocation, runHandler } from './handler.js'
import type { ResponsePolicy } from './options.js'
import { withoutParams } from './query-key.js'
import { recordOf } from './record.js'
import { requestKey } from './request-key.js'
import { rowsReadTags } from './rows.js'
import { type CacheStatus, sendRecord } from './send-record.js'
import { requestBypasses, requestRevalidates } from './storable.js'
import { varyValue } from './vary.js'
import { handleWrite } from './write-path.js'

const FAIL_CLOSED = { failOpen: false }
/**
 * Requests whose handler runs under a response cache (a miss): a second cache on the same request
 * (app-wide and on the route) passes through.
 */
const HANDLED: unique symbol = Symbol('hotpath.response-cache')
type Marked = Invocation['req'] & { [HANDLED]?: true }
/** `miss` takes the snapshot itself. */
const NOT_TAKEN: unique symbol = Symbol('not-taken')

/** What a GET needs once keyed (the client's conditional headers are removed before a handler runs). */
type Keyed = CaptureContext

/**
 * The one request path shared by the middleware and both decorator forms. Never rejects
 * because of the cache: a store failure answers `X-Cache: BYPASS`.
 */
export function handleRequest(cache: ResponseCache, policy: ResponsePolicy, call: Invocation): unknown {
  const { req } = call
  const method = req.method
  if (method !== 'GET' && method !== 'HEAD') {
    if (policy.invalidates === undefined) return runHandler(call)
    return handleWrite(cache, policy.invalidates, policy.onError, call)
  }
  // The outer cache decides; an inner one would follow the outer's flight for the same key and wait on itself.
  if ((req as Marked)[HANDLED] === true) return runHandler(call)
  if (requestBypasses(req.headers, policy.honorRequestCacheControl)) return bypass(policy, call)
  const k = requestKey(policy, req, call.res)
  if (k.kind === 'bypass') return bypass(policy, call)
  if (k.kind === 'reject') {
    const err = new CacheResponseError('query_not_allowed', `query parameter not allowed: ${k.param}`, {
      param: k.param,
    })
    if (call.next) return call.next(err)
    throw err
  }
  if (k.dropped) {
    const query = withoutParams(req.query as Record<string, unknown>, k.dropped)
    Object.defineProperty(req, 'query', {
      value: query,
      writable: true,
      configurable: true,
      enumerable: true,
    })
  }
  const flights = flightsOf(cache)
  const ctx: Keyed = {
    cache,
    policy,
    flights,
    key: k.key,
    ifNoneMatch: req.headers['if-none-match'],
    ifModifiedSince: req.headers['if-modified-since'],
  }
  const strict = cache.consistency === 'strict'
  // no-cache: skip the read; the refresh leads a new flight so later requests wait for it, not the old entry.
  if (policy.honorRequestCacheControl && requestRevalidates(req.headers)) {
    if (strict) return strictMiss(ctx, call, 'BYPASS', undefined)
    return miss(ctx, call, method === 'GET' ? flights.lead(k.key) : undefined, 'BYPASS', undefined)
  }
  // Strict: a flight may be joined only once this request knows the tag versions (after the read).
  const flight = strict ? undefined : flights.joinable(k.key)
  if (flight) return follow(ctx, call, flight)
  // An L1 or in-process hit is answered without a promise (apicache-like cost); the rest reads.
  const near = strict || cache.peekEntry === undefined ? null : cache.peekEntry<Uint8Array>(k.key)
  if (near === null) return readThenAnswer(ctx, call, strict)
  return answer(ctx, call, strict, sharedOf(near))
}

async function readThenAnswer(ctx: Keyed, call: Invocation, strict: boolean): Promise<unknown> {
  let found: SharedResponse | undefined
  try {
    found = sharedOf(await ctx.cache.getEntry<Uint8Array>(ctx.key, FAIL_CLOSED))
  } catch (err) {
    ctx.policy.onError(err)
    return bypass(ctx.policy, call)
  }
  return answer(ctx, call, strict, found)
}

function sharedOf(entry: CacheEntry<Uint8Array> | undefined): SharedResponse | undefined {
  const record = entry && recordOf(entry.value)
  return entry && record ? { record, storedAt: entry.storedAt, stale: entry.stale } : undefined
}

/** What a read found decides the answer: a fresh hit, a stale one, a flight to follow, or a miss. */
function answer(ctx: Keyed, call: Invocation, strict: boolean, found: SharedResponse | undefined): unknown {
  if (found && !found.stale) return serve(ctx, call, found, 'HIT')
  if (strict) return strictMiss(ctx, call, 'MISS', found)
  // A leader may have started while this request waited on the store.
  const flight = ctx.flights.joinable(ctx.key)
  if (flight) return found ? serve(ctx, call, found, 'STALE') : follow(ctx, call, flight)
  // HEAD carries no body to store: it reads GET's entry but never leads.
  const lead = call.req.method === 'GET' ? ctx.flights.lead(ctx.key) : undefined
  return miss(ctx, call, lead, 'MISS', found)
}

function bypass(policy: ResponsePolicy, call: Invocation): unknown {
  call.res.setHeader('x-cache', 'BYPASS')
  call.res.setHeader('vary', varyValue(policy, call.res))
  return runHandler(call)
}

/** Sends a stored response; synchronous unless the body must be inflated first. */
function serve(ctx: Keyed, call: Invocation, shared: SharedResponse, status: CacheStatus): unknown {
  try {
    const { cache, policy, flights, ifNoneMatch, ifModifiedSince } = ctx
    const { req, res } = call
    const { record, storedAt } = shared
    const p = sendRecord(
      cache,
      policy,
      req,
      res,
      record,
      status,
      storedAt,
      ifNoneMatch,
      ifModifiedSince,
      flights.inflated,
    )
    return p === undefined ? undefined : p.then(undefined, (err: unknown) => unservable(ctx, call, err))
  } catch (err) {
    return unservable(ctx, call, err)
  }
}

/** An entry that cannot be sent (corrupt, not inflating to its own length): answer from the handler. */
function unservable(ctx: Keyed, call: Invocation, err: unknown): unknown {
  ctx.policy.onError(err)
  if (call.res.headersSent) return undefined
  return bypass(ctx.policy, call)
}

async function follow(ctx: Keyed, call: Invocation, flight: ResponseFlight): Promise<unknown> {
  if (!flight.done && flight.stale) return serve(ctx, call, flight.stale, 'STALE')
  const shared = flight.done ? flight.result : await flight.promise
  if (shared) return serve(ctx, call, shared, shared.stale ? 'STALE' : 'HIT')
  // The leader's response was not shareable (not storable, per-request, failed): run our own.
  return miss(ctx, call, undefined, 'MISS', undefined)
}

/**
 * A miss under `consistency: 'strict'`: the tag versions are read first, and only a flight that
 * runs under the same versions is joined — one that began before an invalidation (here or in
 * another process, bus message or not) has other versions, so its response is never shared.
 */
async function strictMiss(
  ctx: Keyed,
  call: Invocation,
  status: CacheStatus,
  stale: SharedResponse | undefined,
): Promise<unknown> {
  const get = call.req.method === 'GET'
  const snapshot = await snapshotOf(ctx, call.req)
  // The versions are unknown (store failed): neither join nor store.
  if (snapshot === false) return miss(ctx, call, undefined, status, stale, false)
  const slot = snapshot ? `${ctx.key}\n${snapshot.versions.join('\n')}` : ctx.key
  const flight = status === 'MISS' ? ctx.flights.joinable(slot) : undefined
  if (flight) return stale ? serve(ctx, call, stale, 'STALE') : follow(ctx, call, flight)
  return miss(ctx, call, get ? ctx.flights.lead(slot) : undefined, status, stale, get ? snapshot : false)
}

async function miss(
  ctx: Keyed,
  call: Invocation,
  flight: ResponseFlight | undefined,
  status: CacheStatus,
  stale: SharedResponse | undefined,
  taken: TagSnapshot | false | undefined | typeof NOT_TAKEN = NOT_TAKEN,
): Promise<unknown> {
  const { req } = call
  if (flight && stale) flight.stale = { record: stale.record, storedAt: stale.storedAt, stale: true }
  // Tag versions are read before the handler reads its data: a write that invalidates in between,
  // in this process or another, leaves the stored entry invalid.
  const snapshot = taken !== NOT_TAKEN ? taken : req.method === 'GET' ? await snapshotOf(ctx, req) : false
  // The handler must produce the full body (Express' res.send would answer its own 304): the
  // conditional is answered here, against the strong ETag, once the response is known.
  // Only when present: a delete turns the headers object into a slow dictionary for everyone after.
  if (req.headers['if-none-match'] !== undefined) delete req.headers['if-none-match']
  if (req.headers['if-modified-since'] !== undefined)
    delete req.headers['if-modified-since']
    // Marked only here, where the handler runs under this cache (a hit leaves the request as it is).
  ;(req as Marked)[HANDLED] = true
  captureMiss(ctx, req, call.res, flight, status, stale, snapshot)
  return runHandler(call)
}

/**
 * The policy's tags with their versions, and with `rows` the tags its columns and membership give
 * plus the write epochs (last); `false` (store nothing) if the store failed.
 */
async function snapshotOf(ctx: Keyed, req: Invocation['req']): Promise<TagSnapshot | false | undefined> {
  const { policy } = ctx
  let tags = typeof policy.tags === 'function' ? policy.tags(req) : policy.tags
  if (policy.rows) tags = [...(tags ?? []), ...rowsReadTags(policy.rows, req)]
  if (!tags || tags.length === 0) return undefined
  try {
    return (await ctx.cache.snapshotTags(tags)) ?? false
  } catch (err) {
    ctx.policy.onError(err)
    return false
  }
}
