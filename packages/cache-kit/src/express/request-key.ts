import type { Request, Response } from 'express'
import type { ResponsePolicy } from './options.js'
import { urlPart } from './query-memo.js'
import { varyOf, varyTokens } from './vary.js'

/** Namespace of every response key: `res:<METHOD>:<scope>:<host>…`, so `res:GET:42:*` is one tenant. */
export const KEY_NAMESPACE = 'res:'

// Missing header: a lone `%` never comes out of encodeURIComponent, so it differs from an empty value.
const MISSING = '%'

/** Outcome of keying a request. */
export type RequestKey =
  | { readonly kind: 'key'; readonly key: string; readonly dropped: string[] | undefined }
  | { readonly kind: 'bypass' }
  | { readonly kind: 'reject'; readonly param: string }

const BYPASS: RequestKey = { kind: 'bypass' }

function header(req: Request, name: string): string {
  const v = req.headers[name]
  if (v === undefined) return MISSING
  return encodeURIComponent(Array.isArray(v) ? v.join(', ') : v)
}

/**
 * The cache key of a GET/HEAD request: method (HEAD reads GET's entry), scope, the host as the
 * client and any proxy named it (`Host`, `X-Forwarded-Host`, `X-Forwarded-Proto`: a handler that
 * builds absolute links from them can never poison another host's entry), the path, the
 * normalised allowed query, the values of the `vary` headers, and the values of the headers a
 * `Vary` set before the handler names (a middleware's `Vary: Origin` is honoured, not trusted:
 * `Vary: *` there bypasses). Never the raw URL. Every user-controlled part is percent-encoded, so
 * the separators cannot be forged.
 */
export function requestKey(policy: ResponsePolicy, req: Request, res: Response): RequestKey {
  let scope = ''
  if (policy.scope) {
    const s = policy.scope(req)
    if (s === undefined || s === null || s === '') return BYPASS
    scope = encodeURIComponent(String(s))
  }
  const q = urlPart(policy, req, policy.allow)
  if (q.dropped && policy.reject) return { kind: 'reject', param: q.dropped[0] as string }
  let key = `${KEY_NAMESPACE}GET:${scope}:${header(req, 'host')},${header(req, 'x-forwarded-host')},${header(req, 'x-forwarded-proto')}${q.text}|`
  const vary = policy.varyKeyed
  for (let i = 0; i < vary.length; i++) key += `${i === 0 ? '' : '&'}${header(req, vary[i] as string)}`
  const prior = varyOf(res)
  if (prior !== undefined) {
    key += '|'
    for (const name of varyTokens(prior)) {
      if (name === '*') return BYPASS
      if (name === 'accept-encoding' || vary.includes(name)) continue
      key += `${encodeURIComponent(name)}=${header(req, name)}&`
    }
  }
  return { kind: 'key', key, dropped: q.dropped }
}
