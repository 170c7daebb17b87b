import type { OutgoingHttpHeaders } from 'node:http'
import type { Request, Response } from 'express'
import { acceptsGzip } from './accept-encoding.js'
import type { ResponseCache } from './cache-port.js'
import { matchesIfNoneMatch } from './etag.js'
import type { InflatedBodies } from './inflated-bodies.js'
import type { ResponsePolicy } from './options.js'
import type { ResponseRecord } from './record.js'
import { varyValue } from './vary.js'

/** Value of `X-Cache`. */
export type CacheStatus = 'HIT' | 'MISS' | 'STALE' | 'BYPASS'

/** Header names and values as a flat list (a value may be a list for a repeated header). */
type Flat = readonly (string | string[])[]

/** A record's headers for one representation, built once per record (a hit copies them). */
interface BaseHeaders {
  readonly policy: ResponsePolicy
  readonly gzip: Flat | undefined
  readonly identity: Flat | undefined
}

const bases = new WeakMap<ResponseRecord, BaseHeaders>()

function buildBase(record: ResponseRecord, policy: ResponsePolicy, gzip: boolean): Flat {
  const out: OutgoingHttpHeaders = {}
  const h = record.headers
  for (let i = 0; i < h.length; i += 2) {
    const name = h[i] as string
    const value = h[i + 1] as string
    const prior = out[name]
    out[name] =
      prior === undefined ? value : Array.isArray(prior) ? [...prior, value] : [String(prior), value]
  }
  out.etag = gzip ? record.gzipEtag : record.etag
  if (policy.cacheControl !== undefined && out['cache-control'] === undefined)
    out['cache-control'] = policy.cacheControl
  if (gzip) out['content-encoding'] = 'gzip'
  if (record.status !== 204 && record.status !== 304)
    out['content-length'] = String(gzip || !record.gzip ? record.body.byteLength : record.identityLength)
  // A loop, not `Object.entries(out).flat(1)`: V8's generic `flat` was most of this function's time.
  const flat: (string | string[])[] = []
  for (const name in out) flat.push(name, out[name] as string | string[])
  return flat
}

/** The stored headers, ETag, Cache-Control, Content-Encoding and Content-Length of one representation. */
function baseHeaders(record: ResponseRecord, policy: ResponsePolicy, gzip: boolean): Flat {
  let b = bases.get(record)
  if (b === undefined || b.policy !== policy) {
    b = { policy, gzip: undefined, identity: undefined }
    bases.set(record, b)
  }
  const known = gzip ? b.gzip : b.identity
  if (known) return known
  const built = buildBase(record, policy, gzip)
  bases.set(record, gzip ? { ...b, gzip: built } : { ...b, identity: built })
  return built
}

/**
 * Writes a stored response directly (synchronously, unless the body must be inflated first): one `writeHead` with the stored status and headers (an
 * object built once per record and representation, copied per hit), then `end` with the stored
 * bytes, gzip as stored for a client that accepts it, else inflated. Never `res.send` (which
 * would hash an ETag again on every hit). `If-None-Match` matching the ETag of the representation
 * sent (identity or gzip) answers `304` with no body; without `If-None-Match`, an `If-Modified-Since`
 * not older than the stored `Last-Modified` does too (RFC 9110 §13.1.3). Both are passed in because a miss
 * removes it from the request before the handler runs; `identity` (on a miss) spares inflating
 * what was just deflated.
 */
export function sendRecord(
  cache: ResponseCache,
  policy: ResponsePolicy,
  req: Request,
  res: Response,
  record: ResponseRecord,
  status: CacheStatus,
  storedAt: number | undefined,
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
  inflated: InflatedBodies,
  identity?: Uint8Array,
): Promise<void> | undefined {
  // The representation is chosen first: its own ETag is sent and compared (RFC 9110 §13.1.2).
  const gzip = record.gzip && acceptsGzip(req.headers['accept-encoding'])
  const base = baseHeaders(record, policy, gzip)
  // Copied by a loop: spreading an object with these keys takes V8's slow path (µs, not ns).
  const headers: OutgoingHttpHeaders = {}
  for (let i = 0; i < base.length; i += 2) headers[base[i] as string] = base[i + 1]
  headers.vary = varyValue(policy, res)
  headers['x-cache'] = status
  if (policy.age && storedAt !== undefined)
    headers.age = String(Math.max(0, Math.floor((Date.now() - storedAt) / 1000)))
  const ok = record.status >= 200 && record.status < 300
  if (ok && notModified(record, gzip, ifNoneMatch, ifModifiedSince)) {
    // A 304 carries the validators and caching headers only (RFC 9110 §15.4.5); on a miss the
    // handler's own are still on `res`, where a wrapper (compression) would act on them.
    for (const name of REPRESENTATION) {
      delete headers[name]
      if (res.hasHeader(name)) res.removeHeader(name)
    }
    res.writeHead(304, headers)
    res.end()
    return undefined
  }
  const body = gzip || !record.gzip ? record.body : (identity ?? inflated.get(record.etag, record.body))
  if (body !== undefined) return write(req, res, record.status, headers, body)
  // Synchronous unless a body must be inflated first (an identity client, the first time).
  return inflate(cache, inflated, record).then((b) => write(req, res, record.status, headers, b))
}

function write(
  req: Request,
  res: Response,
  status: number,
  headers: OutgoingHttpHeaders,
  body: Uint8Array,
): undefined {
  res.writeHead(status, headers)
  if (req.method === 'HEAD') res.end()
  else res.end(body)
  return undefined
}

async function inflate(
  cache: ResponseCache,
  inflated: InflatedBodies,
  record: ResponseRecord,
): Promise<Uint8Array> {
  const body = await cache.codec.gunzip(record.body, record.identityLength)
  // A record whose gzip does not inflate to its own length is corrupt: refuse it.
  if (body.byteLength !== record.identityLength) throw new Error('stored body does not match its length')
  inflated.set(record.etag, record.body, body)
  return body
}

const REPRESENTATION = new Set([
  'content-type',
  'content-language',
  'content-length',
  'content-encoding',
  'link',
])

/**
 * RFC 9110 §13.2.2: `If-None-Match` decides when present (weak comparison against the sent
 * representation's ETag); otherwise `If-Modified-Since` against the stored `Last-Modified`.
 */
function notModified(
  record: ResponseRecord,
  gzip: boolean,
  ifNoneMatch: string | undefined,
  ifModifiedSince: string | undefined,
): boolean {
  if (ifNoneMatch !== undefined && ifNoneMatch !== '')
    return matchesIfNoneMatch(ifNoneMatch, gzip ? record.gzipEtag : record.etag)
  if (ifModifiedSince === undefined) return false
  const since = Date.parse(ifModifiedSince)
  if (Number.isNaN(since)) return false
  const h = record.headers
  for (let i = 0; i < h.length; i += 2) {
    if (h[i] !== 'last-modified') continue
    const modified = Date.parse(h[i + 1] as string)
    return !Number.isNaN(modified) && modified <= since
  }
  return false
}
