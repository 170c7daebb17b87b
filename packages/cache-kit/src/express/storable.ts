import type { IncomingHttpHeaders, OutgoingHttpHeader } from 'node:http'
import type { ResponsePolicy } from './options.js'
import { type HeaderSource, varyOf, varyTokens } from './vary.js'

/**
 * Why a response to a miss was not stored, as `onNotStored` reports it. The never-store rules:
 * `'status'` (not 2xx but 206, nor in `statuses`), `'set-cookie'`, `'cache-control'` (`private` or
 * `no-store`), `'vary'` (on a header the key does not hold, or `*`), `'content-encoding'` (already
 * encoded), `'partial'` (a `Content-Range`), `'too-large'` (over `maxBodyBytes`), `'streaming'` (an
 * event stream, or a `write` before `end`). And the circumstances: `'head'` (a HEAD has no body to
 * store), `'flushed'` (`flushHeaders()` before `end`), `'record-limits'` (more than 255 stored
 * headers, a header value over 64 KiB or an ETag over 255 bytes), `'invalidated'` (an invalidation
 * ran while the handler did: the response may predate it), `'rows-unknown'` (the `rows.ids` of
 * the body could not be read: not JSON, or `ids` threw; `onError` has the error), `'cache-error'`
 * (the store or the codec failed; `onError` has the error).
 */
export type NotStorableReason =
  | 'status'
  | 'set-cookie'
  | 'cache-control'
  | 'vary'
  | 'content-encoding'
  | 'partial'
  | 'too-large'
  | 'streaming'
  | 'head'
  | 'flushed'
  | 'record-limits'
  | 'invalidated'
  | 'rows-unknown'
  | 'cache-error'

function text(v: OutgoingHttpHeader | undefined): string {
  if (v === undefined) return ''
  return Array.isArray(v) ? v.join(',') : String(v)
}

/**
 * The never-store rules, RFC 9111 §3 and stricter: only the policy's statuses (2xx but 206 by default), no
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
  const vary = varyOf(res)
  if (vary && vary !== priorVary && !varyIsKeyed(policy, vary, priorVary)) return 'vary'
  const ce = text(res.getHeader('content-encoding')).toLowerCase()
  if (ce && ce !== 'identity') return 'content-encoding'
  if (res.getHeader('content-range') !== undefined) return 'partial'
  if (bodyBytes > policy.maxBodyBytes) return 'too-large'
  if (text(res.getHeader('content-type')).toLowerCase().startsWith('text/event-stream')) return 'streaming'
  return undefined
}

function varyIsKeyed(policy: ResponsePolicy, vary: string, priorVary: string | undefined): boolean {
  const prior = priorVary === undefined ? [] : varyTokens(priorVary)
  for (const token of varyTokens(vary)) {
    if (token === '*') return false
    if (!policy.varyKnown.has(token) && !prior.includes(token)) return false
  }
  return true
}

/**
 * The request side: what makes a GET skip the cache entirely. A body on a GET/HEAD ("fat GET")
 * is unkeyed input a handler might read, a `Range` asks for a part; with `honorCacheControl`,
 * `Cache-Control: no-store` forbids storing.
 */
export function requestBypasses(headers: IncomingHttpHeaders, honorCacheControl: boolean): boolean {
  const len = headers['content-length']
  if ((len !== undefined && len !== '0') || headers['transfer-encoding'] !== undefined) return true
  if (headers.range !== undefined) return true
  if (!honorCacheControl) return false
  const cc = headers['cache-control']
  return cc?.toLowerCase().includes('no-store') === true
}

/**
 * Request `Cache-Control: no-cache` (or `Pragma: no-cache` without Cache-Control): skip the read,
 * refresh. Consulted only under `honorRequestCacheControl`.
 */
export function requestRevalidates(headers: IncomingHttpHeaders): boolean {
  const cc = headers['cache-control']
  if (cc !== undefined) return /(?:^|[\s,])no-cache(?:$|[\s,])/i.test(cc)
  return headers.pragma?.toLowerCase().includes('no-cache') === true
}
