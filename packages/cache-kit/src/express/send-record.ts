import type { Request, Response } from 'express'
import { acceptsGzip } from './accept-encoding.js'
import type { ResponseCache } from './cache-port.js'
import { matchesIfNoneMatch } from './etag.js'
import type { InflatedBodies } from './inflated-bodies.js'
import type { ResponsePolicy } from './options.js'
import type { ResponseRecord } from './record.js'

/** Value of `X-Cache`. */
export type CacheStatus = 'HIT' | 'MISS' | 'STALE' | 'BYPASS'

/** `Vary` to send: the policy's, after any a middleware before us set (e.g. `Origin` by CORS). */
export function varyValue(policy: ResponsePolicy, res: Response): string {
  const prior = res.getHeader('vary')
  if (prior === undefined || prior === '') return policy.varyHeader
  return `${Array.isArray(prior) ? prior.join(', ') : String(prior)}, ${policy.varyHeader}`
}

function hasHeader(headers: readonly string[], name: string): boolean {
  for (let i = 0; i < headers.length; i += 2) if (headers[i] === name) return true
  return false
}

/**
 * Writes a stored response directly: `writeHead` with the stored status and headers, then
 * `end` with the stored bytes, gzip as stored for a client that accepts it, else inflated.
 * Never `res.send` (which would hash an ETag again on every hit). `If-None-Match` matching the
 * ETag of the representation sent (identity or gzip) answers `304` with no body. `ifNoneMatch` is passed in because a miss removes it
 * from the request before the handler runs; `identity` (on a miss) spares inflating what was just deflated.
 */
export async function sendRecord(
  cache: ResponseCache,
  policy: ResponsePolicy,
  req: Request,
  res: Response,
  record: ResponseRecord,
  status: CacheStatus,
  storedAt: number | undefined,
  ifNoneMatch: string | undefined,
  inflated: InflatedBodies,
  identity?: Uint8Array,
): Promise<void> {
  // The representation is chosen first: its own ETag is sent and compared (RFC 9110 §13.1.2).
  const gzip = record.gzip && acceptsGzip(req.headers['accept-encoding'])
  const etag = gzip ? record.gzipEtag : record.etag
  const headers = record.headers.slice()
  headers.push('etag', etag, 'vary', varyValue(policy, res), 'x-cache', status)
  if (policy.cacheControl !== undefined && !hasHeader(record.headers, 'cache-control'))
    headers.push('cache-control', policy.cacheControl)
  if (policy.age && storedAt !== undefined)
    headers.push('age', String(Math.max(0, Math.floor((Date.now() - storedAt) / 1000))))
  const ok = record.status >= 200 && record.status < 300
  if (ok && matchesIfNoneMatch(ifNoneMatch, etag)) {
    // A 304 carries the validators and caching headers only (RFC 9110 §15.4.5).
    res.writeHead(304, stripRepresentation(headers))
    res.end()
    return
  }
  let body = record.body
  if (gzip) headers.push('content-encoding', 'gzip')
  else if (record.gzip) body = identity ?? (await inflate(cache, inflated, record))
  if (record.status !== 204 && record.status !== 304) headers.push('content-length', String(body.byteLength))
  res.writeHead(record.status, headers)
  if (req.method === 'HEAD') res.end()
  else res.end(body)
}

async function inflate(
  cache: ResponseCache,
  inflated: InflatedBodies,
  record: ResponseRecord,
): Promise<Uint8Array> {
  const known = inflated.get(record.etag, record.body)
  if (known) return known
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

function stripRepresentation(headers: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < headers.length; i += 2) {
    const name = headers[i] as string
    if (!REPRESENTATION.has(name)) out.push(name, headers[i + 1] as string)
  }
  return out
}
