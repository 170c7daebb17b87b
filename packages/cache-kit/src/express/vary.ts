import type { OutgoingHttpHeader } from 'node:http'
import { Lru } from '../lru.js'
import type { ResponsePolicy } from './options.js'

/** Where `Vary` is read from: a `ServerResponse`, or anything with its `getHeader`. */
export interface HeaderSource {
  getHeader(name: string): OutgoingHttpHeader | undefined
}

/** The `Vary` on a response as one string (a list joined with `, `); `undefined` when absent or empty. */
export function varyOf(res: HeaderSource): string | undefined {
  const v = res.getHeader('vary')
  if (v === undefined || v === '') return undefined
  return Array.isArray(v) ? v.join(', ') : String(v)
}

/** Lower-case tokens of `Vary` values seen (a middleware sets the same few on every request). */
const tokenMemo = new Lru<readonly string[]>(256)

/** The lower-case field names of a `Vary` value, empty ones dropped; parsed once per distinct value. */
export function varyTokens(vary: string): readonly string[] {
  // Entries never expire (`now` 0): only the entry count bounds the memo.
  let t = tokenMemo.get(vary, 0)
  if (t === undefined) {
    t = vary
      .toLowerCase()
      .split(',')
      .map((x) => x.trim())
      .filter((x) => x !== '')
    tokenMemo.set(vary, t, Number.POSITIVE_INFINITY)
  }
  return t
}

/**
 * `Vary` to send: the one already on the response (a middleware's, e.g. `Origin` by CORS, or the
 * handler's) followed by the policy's names it lacks; `*` stays `*`.
 */
export function varyValue(policy: ResponsePolicy, res: HeaderSource): string {
  const prior = varyOf(res)
  if (prior === undefined) return policy.varyHeader
  const have = varyTokens(prior)
  if (have.includes('*')) return '*'
  let out = prior
  for (const name of policy.varyNames) if (!have.includes(name.toLowerCase())) out += `, ${name}`
  return out
}
