import type { Request } from 'express'
import { Lru } from '../lru.js'
import { type NormalisedQuery, normaliseQuery } from './query-key.js'

/** The path and normalised query of one URL: the part of a key that depends on `req.url` only. */
export interface UrlPart {
  /** `<baseUrl><path>?<normalised query>`. */
  readonly text: string
  /** Parameters outside the allow-list (see {@link NormalisedQuery}). */
  readonly dropped: string[] | undefined
}

/** Entries kept per policy (an attacker's URL variety only costs a parse). */
const MAX_ENTRIES = 1024

interface Memo {
  /** The app's query parser the entries were computed with. */
  parser: unknown
  readonly byUrl: Lru<UrlPart>
}

const memos = new WeakMap<object, Memo>()

function pathOf(req: Request): string {
  if (typeof req.path === 'string') return (req.baseUrl ?? '') + req.path
  const url = req.url ?? '/'
  const q = url.indexOf('?')
  return q === -1 ? url : url.slice(0, q)
}

function compute(req: Request, allow: ReadonlySet<string> | undefined): UrlPart {
  const q = normaliseQuery(req.query, allow)
  return { text: `${pathOf(req)}?${q.key}`, dropped: q.dropped }
}

/**
 * The path and normalised query of a request, memoised per raw URL while `req.query` is Express
 * 5's own lazy getter (parsed from `req.url` by the app's query parser on every access, so a pure
 * function of the URL). A request whose `query` was replaced by a middleware (an own property,
 * as in Express 4 or after a validator), or an app without a query parser setting, is computed
 * afresh. `owner` is the policy the allow-list belongs to.
 */
export function urlPart(owner: object, req: Request, allow: ReadonlySet<string> | undefined): UrlPart {
  const url = req.url
  const parser = typeof req.app?.get === 'function' ? req.app.get('query parser fn') : undefined
  if (typeof url !== 'string' || parser === undefined || Object.hasOwn(req, 'query'))
    return compute(req, allow)
  let memo = memos.get(owner)
  if (memo === undefined || memo.parser !== parser) {
    memo = { parser, byUrl: new Lru(MAX_ENTRIES) }
    memos.set(owner, memo)
  }
  const base = req.baseUrl
  const id = base ? `${base}\n${url}` : url
  // Entries never expire (`now` 0): only the entry count bounds the memo.
  let part = memo.byUrl.get(id, 0)
  if (part === undefined) {
    part = compute(req, allow)
    memo.byUrl.set(id, part, Number.POSITIVE_INFINITY)
  }
  return part
}
