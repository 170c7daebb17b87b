import type { IncomingHttpHeaders, OutgoingHttpHeader } from 'node:http'
import type { ResponsePolicy } from './options.js'

/** Why a response was not stored (`undefined`: it may be stored). */
export type NotStorableReason =
  | 'status'
  | 'set-cookie'
  | 'cache-control'
  | 'vary'
  | 'content-encoding'
  | 'too-large'
  | 'streaming'
  | 'partial'

/** Where the never-store rules read the response headers the handler left (a `ServerResponse`). */
export interface HeaderSource {
  getHeader(name: string): OutgoingHttpHeader | undefined
}

function text(v: OutgoingHttpHeader | undefined): string {
  if (v === undefined) return ''
  return Array.isArray(v) ? v.join(',') : String(v)
}

/**
 * RFC 9111 §3 plus the rules: only the policy's statuses (2xx but 206 by default), no
 * `Set-Cookie`, no `Cache-Control: private | no-store`, no `Vary: *` nor a `Vary` on a request
 * header the key does not hold (`vary` option, `Accept-Encoding`, `Authorization` when scoped, or
 * one already set before the handler ran, e.g. `Origin` by a CORS middleware), no body already
 * content-encoded, nothing over `maxBodyBytes`, no event stream.
 */
export function notStorable(
  policy: ResponsePolicy,
  res: HeaderSource,
  status: number,
  bodyBytes: number,
  priorVary: string | undefined,
): NotStorableReason | undefined {
  if (!policy.statuses.has(status)) return 'status'
  if (res.getHeader('set-cookie') !== undefined) return 'set-cookie'
  const cc = text(res.getHeader('cache-control')).toLowerCase()
  if (cc && /(?:^|[\s,])(?:private|no-store)(?:$|[\s,=])/.test(cc)) return 'cache-control'
  const vary = text(res.getHeader('vary'))
  if (vary && vary !== priorVary && !varyIsKeyed(policy, vary, priorVary)) return 'vary'
  const ce = text(res.getHeader('content-encoding')).toLowerCase()
  if (ce && ce !== 'identity') return 'content-encoding'
  if (res.getHeader('content-range') !== undefined) return 'partial'
  if (bodyBytes > policy.maxBodyBytes) return 'too-large'
  if (text(res.getHeader('content-type')).toLowerCase().startsWith('text/event-stream')) return 'streaming'
  return undefined
}

function varyIsKeyed(policy: ResponsePolicy, vary: string, priorVary: string | undefined): boolean {
  const prior = priorVary ? priorVary.toLowerCase().split(',') : []
  for (const raw of vary.toLowerCase().split(',')) {
    const token = raw.trim()
    if (token === '') continue
    if (token === '*') return false
    if (!policy.varyKnown.has(token) && !prior.some((p) => p.trim() === token)) return false
  }
  return true
}

/**
 * The request side: what makes a GET skip the cache entirely. A body on a GET/HEAD ("fat GET")
 * is unkeyed input a handler might read, a `Range` asks for a part, `Cache-Control: no-store`
 * forbids storing.
 */
export function requestBypasses(headers: IncomingHttpHeaders): boolean {
  const len = headers['content-length']
  if ((len !== undefined && len !== '0') || headers['transfer-encoding'] !== undefined) return true
  if (headers.range !== undefined) return true
  const cc = headers['cache-control']
  return cc?.toLowerCase().includes('no-store') === true
}

/** Request `Cache-Control: no-cache` (or `Pragma: no-cache` without Cache-Control): skip the read, refresh. */
export function requestRevalidates(headers: IncomingHttpHeaders): boolean {
  const cc = headers['cache-control']
  if (cc !== undefined) return /(?:^|[\s,])no-cache(?:$|[\s,])/i.test(cc)
  return headers.pragma?.toLowerCase().includes('no-cache') === true
}
