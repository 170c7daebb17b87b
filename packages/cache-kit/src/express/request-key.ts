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

/** The first value of a forwarded header (a proxy chain appends with commas). */
function firstForwarded(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v
  if (s === undefined) return undefined
  const comma = s.indexOf(',')
  return (comma === -1 ? s : s.slice(0, comma)).trim()
}

/**
 * `<protocol>,<host>` as Express derives `req.protocol` and `req.host` under its `trust proxy`
 * setting: `X-Forwarded-Proto` / `X-Forwarded-Host` count only when the peer is a trusted proxy,
 * so a client cannot split the cache with made-up values. Computed here (the same rules) because
 * Express 4's `req.host` drops the port.
 */
function originOf(req: Request): string {
  const socket = req.socket as (Request['socket'] & { encrypted?: boolean }) | undefined
  let proto = socket?.encrypted ? 'https' : 'http'
  let host = req.headers.host
  const xfp = req.headers['x-forwarded-proto']
  const xfh = req.headers['x-forwarded-host']
  if (xfp !== undefined || xfh !== undefined) {
    const trust = typeof req.app?.get === 'function' ? req.app.get('trust proxy fn') : undefined
    if (typeof trust === 'function' && trust(socket?.remoteAddress, 0) === true) {
      proto = firstForwarded(xfp) ?? proto
      host = firstForwarded(xfh) ?? host
    }
  }
  return `${encodeURIComponent(proto)},${host === undefined ? MISSING : encodeURIComponent(host)}`
}

/**
 * The cache key of a GET/HEAD request: method (HEAD reads GET's entry), scope, the protocol and
 * host as Express derives them under `trust proxy` (a handler that builds absolute links from
 * `req.protocol` and `req.host` can never poison another host's entry, and untrusted
 * `X-Forwarded-*` headers are not keyed), the path, the
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
  let key = `${KEY_NAMESPACE}GET:${scope}:${originOf(req)}${q.text}|`
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
