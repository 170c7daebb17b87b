import type { NextFunction, Request, Response } from 'express'
import type { ResponseCache } from './cache-port.js'
import { Capture } from './capture.js'
import { CacheResponseError } from './errors.js'
import { type Flight, flightsOf, type ResponseFlights, type SharedResponse } from './flights.js'
import type { Handler } from './handler.js'
import type { ResponsePolicy } from './options.js'
import { withoutParams } from './query-key.js'
import { decodeRecord, type ResponseRecord } from './record.js'
import { requestKey } from './request-key.js'
import { type CacheStatus, sendRecord, varyValue } from './send-record.js'
import { requestBypasses, requestRevalidates } from './storable.js'
import { handleWrite } from './write-path.js'

const FAIL_CLOSED = { failOpen: false }

/**
 * The one request path shared by the middleware and both decorator forms. `run.apply(thisArg,
 * args)` produces the response (Express' `next()`, or the decorated method): no closure is made
 * per request. Never rejects because of the cache: a store failure answers `X-Cache: BYPASS`.
 */
export async function handleRequest(
  cache: ResponseCache,
  policy: ResponsePolicy,
  req: Request,
  res: Response,
  next: NextFunction | undefined,
  run: Handler,
  thisArg: unknown,
  args: readonly unknown[],
): Promise<unknown> {
  const method = req.method
  if (method !== 'GET' && method !== 'HEAD') {
    if (policy.invalidates === undefined) return run.apply(thisArg, args as unknown[])
    return handleWrite(cache, policy.invalidates, policy.onError, req, res, run, thisArg, args)
  }
  if (requestBypasses(req.headers)) return bypass(policy, res, run, thisArg, args)
  const k = requestKey(policy, req)
  if (k.kind === 'bypass') return bypass(policy, res, run, thisArg, args)
  if (k.kind === 'reject') {
    const err = new CacheResponseError(
      'query_not_allowed',
      `query parameter not allowed: ${k.param}`,
      k.param,
    )
    if (next) return next(err)
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
  const key = k.key
  const flights = flightsOf(cache)
  const ifNoneMatch = req.headers['if-none-match']
  // no-cache: skip the read; the refresh leads a new flight so later requests wait for it, not the old entry.
  if (requestRevalidates(req.headers)) {
    const lead = method === 'GET' ? flights.lead(key) : undefined
    return miss(
      cache,
      policy,
      flights,
      req,
      res,
      key,
      lead,
      'BYPASS',
      ifNoneMatch,
      undefined,
      run,
      thisArg,
      args,
    )
  }
  let flight = flights.joinable(key)
  if (flight) return follow(cache, policy, flights, req, res, key, flight, ifNoneMatch, run, thisArg, args)
  let found: { record: ResponseRecord; storedAt: number; stale: boolean } | undefined
  try {
    const entry = await cache.getEntry<Uint8Array>(key, FAIL_CLOSED)
    const record = entry && decodeRecord(entry.value)
    if (entry && record) found = { record, storedAt: entry.storedAt, stale: entry.stale }
  } catch (err) {
    policy.onError(err)
    return bypass(policy, res, run, thisArg, args)
  }
  if (found && !found.stale)
    return serve(cache, policy, req, res, found, 'HIT', ifNoneMatch, run, thisArg, args)
  // A leader may have started while this request waited on the store.
  flight = flights.joinable(key)
  if (flight) {
    if (found) return serve(cache, policy, req, res, found, 'STALE', ifNoneMatch, run, thisArg, args)
    return follow(cache, policy, flights, req, res, key, flight, ifNoneMatch, run, thisArg, args)
  }
  // HEAD carries no body to store: it reads GET's entry but never leads.
  const lead = method === 'GET' ? flights.lead(key) : undefined
  return miss(cache, policy, flights, req, res, key, lead, 'MISS', ifNoneMatch, found, run, thisArg, args)
}

function bypass(
  policy: ResponsePolicy,
  res: Response,
  run: Handler,
  thisArg: unknown,
  args: readonly unknown[],
) {
  res.setHeader('x-cache', 'BYPASS')
  res.setHeader('vary', varyValue(policy, res))
  return run.apply(thisArg, args as unknown[])
}

async function serve(
  cache: ResponseCache,
  policy: ResponsePolicy,
  req: Request,
  res: Response,
  shared: SharedResponse,
  status: CacheStatus,
  ifNoneMatch: string | undefined,
  run: Handler,
  thisArg: unknown,
  args: readonly unknown[],
): Promise<unknown> {
  try {
    await sendRecord(cache, policy, req, res, shared.record, status, shared.storedAt, ifNoneMatch)
    return undefined
  } catch (err) {
    // An entry that cannot be inflated (corrupt, over its own length): answer from the handler.
    policy.onError(err)
    if (res.headersSent) return undefined
    return bypass(policy, res, run, thisArg, args)
  }
}

async function follow(
  cache: ResponseCache,
  policy: ResponsePolicy,
  flights: ResponseFlights,
  req: Request,
  res: Response,
  key: string,
  flight: Flight,
  ifNoneMatch: string | undefined,
  run: Handler,
  thisArg: unknown,
  args: readonly unknown[],
): Promise<unknown> {
  const shared = flight.done ? flight.result : await flight.promise
  if (shared)
    return serve(
      cache,
      policy,
      req,
      res,
      shared,
      shared.stale ? 'STALE' : 'HIT',
      ifNoneMatch,
      run,
      thisArg,
      args,
    )
  // The leader's response was not shareable (not storable, per-request, failed): run our own.
  return miss(
    cache,
    policy,
    flights,
    req,
    res,
    key,
    undefined,
    'MISS',
    ifNoneMatch,
    undefined,
    run,
    thisArg,
    args,
  )
}

function miss(
  cache: ResponseCache,
  policy: ResponsePolicy,
  flights: ResponseFlights,
  req: Request,
  res: Response,
  key: string,
  flight: Flight | undefined,
  status: CacheStatus,
  ifNoneMatch: string | undefined,
  stale: SharedResponse | undefined,
  run: Handler,
  thisArg: unknown,
  args: readonly unknown[],
): unknown {
  // The handler must produce the full body (Express' res.send would answer its own 304): the
  // conditional is answered here, against the strong ETag, once the response is known.
  delete req.headers['if-none-match']
  delete req.headers['if-modified-since']
  new Capture(cache, policy, flights, req, res, key, flight, status, ifNoneMatch, stale)
  return run.apply(thisArg, args as unknown[])
}
