import type { Request } from 'express'
import { type Duration, parseDuration } from '../duration.js'
import { CacheResponseError } from './errors.js'
import type { RowChange, RowId, RowsOptions } from './row-tags.js'
import type { NotStorableReason } from './storable.js'

/**
 * What a write invalidates: tag names, or tags, key globs and the rows it changed (see
 * {@link RowChange}: row-precise invalidation of responses cached with the `rows` option).
 */
export type InvalidationTargets =
  | readonly string[]
  | {
      readonly tags?: readonly string[]
      readonly patterns?: readonly string[]
      readonly rows?: readonly RowChange[]
    }

/** Fixed targets, or a function of the request that returns them (may be async). */
export type InvalidationSpec =
  | InvalidationTargets
  | ((req: Request) => InvalidationTargets | Promise<InvalidationTargets>)

/** Options of {@link cacheResponse}. Defaults are resolved once, when the middleware is created. */
export interface CacheResponseOptions {
  /** How long a stored response is fresh. Required. */
  ttl: Duration
  /**
   * The tenant or user part of the key. Required unless `public: true`. Returning `undefined`,
   * `null` or `''` skips the cache for that request (`X-Cache: BYPASS`): never shared by accident.
   */
  scope?: (req: Request) => string | number | null | undefined
  /** One entry for everybody (no `scope`). Default `false`. */
  public?: boolean
  /** Tags stored with the entry, for `invalidates` / `cache.invalidateTags`. */
  tags?: readonly string[] | ((req: Request) => readonly string[])
  /**
   * Row-precise invalidation: which rows the response shows (read from its body) and which
   * columns decide them, so that a write declaring `{ rows: [...] }` drops only the responses it
   * can change. See {@link RowsOptions}.
   */
  rows?: RowsOptions
  /**
   * Allow-list of query parameters in the key. Omitted: every parameter is keyed. The others are
   * removed from `req.query` (`unknownQuery: 'ignore'`) or answered with a `400` (`'reject'`).
   */
  query?: readonly string[]
  /** What to do with a parameter outside `query`. Default `'ignore'`. */
  unknownQuery?: 'ignore' | 'reject'
  /**
   * Whether a client's request `Cache-Control` (`no-cache`, `no-store`; `Pragma: no-cache`) may
   * skip the cached entry and run the handler. Default `false`: ignored, as nginx's proxy cache,
   * Varnish and CDNs ignore it, so no client can turn every request into an origin hit (and
   * `fetch`'s conditional requests, which add `no-cache`, still get the cache's 304). `true`:
   * `no-cache` refreshes the entry (`X-Cache: BYPASS`), `no-store` bypasses it.
   */
  honorRequestCacheControl?: boolean
  /** After `ttl`, how long a stale response may still be served (`X-Cache: STALE`). Default none. */
  grace?: Duration
  /** Request headers the response depends on: keyed, and listed in `Vary`. Default none. */
  vary?: readonly string[]
  /**
   * Response headers stored besides Content-Type, Content-Language, Link, Location, Last-Modified
   * and Cache-Control (the ETag is kept apart, see the record).
   */
  headers?: readonly string[]
  /** Non-2xx statuses that may be stored too, e.g. `[301, 404]`. Default none. */
  statuses?: readonly number[]
  /** Largest body (uncompressed) that is stored; bigger ones pass through. Default 1 MiB. */
  maxBodyBytes?: number
  /**
   * `Cache-Control` sent with cached responses when the handler sets none. Default `'no-cache'`
   * (`'private, no-cache'` when scoped): clients revalidate with `If-None-Match`, so they see writes.
   * `false` sends none.
   */
  cacheControl?: string | false
  /** Send `Age` on hits. Default `true`. */
  age?: boolean
  /** For non-GET requests through the same policy: what a 2xx invalidates (see {@link invalidates}). */
  invalidates?: InvalidationSpec
  /** Called with errors the layer recovers from (store down, gzip failure). Default: ignored. */
  onError?: (err: unknown) => void
  /**
   * Called when the response to a miss is sent but not stored, with the reason (see
   * {@link NotStorableReason}): to log or count why a route keeps missing. Default: ignored.
   */
  onNotStored?: (reason: NotStorableReason, req: Request) => void
}

/** The resolved, immutable form of the options that every request of one policy shares. */
export interface ResponsePolicy {
  readonly ttl: number
  readonly grace: number
  readonly scope: ((req: Request) => string | number | null | undefined) | undefined
  readonly tags: ((req: Request) => readonly string[]) | readonly string[] | undefined
  readonly rows: RowsOptions | undefined
  /** The partition of `rows` for a request: `rows.scope`, else the policy's `scope`, else `''`. */
  readonly rowScope: (req: Request) => RowId
  readonly allow: ReadonlySet<string> | undefined
  readonly reject: boolean
  readonly honorRequestCacheControl: boolean
  readonly varyKeyed: readonly string[]
  /** Names in the `Vary` header sent: Accept-Encoding, Authorization when scoped, the `vary` option's. */
  readonly varyNames: readonly string[]
  /** Value of the `Vary` header sent (`varyNames` joined). */
  readonly varyHeader: string
  /**
   * Lower-case names of the `Vary` tokens a handler may set and still be stored: the ones the key
   * holds (Accept-Encoding, handled natively, and the `vary` option's). Not Authorization unless
   * listed: a scope is not a user, so a response that varies per credential is not stored.
   */
  readonly varyKnown: ReadonlySet<string>
  readonly storedHeaders: readonly string[]
  readonly statuses: ReadonlySet<number>
  readonly maxBodyBytes: number
  readonly cacheControl: string | undefined
  readonly age: boolean
  readonly invalidates: InvalidationSpec | undefined
  readonly onError: (err: unknown) => void
  readonly onNotStored: ((reason: NotStorableReason, req: Request) => void) | undefined
}

const BASE_HEADERS = ['content-type', 'content-language', 'link', 'location', 'last-modified']
const MiB = 1024 * 1024

function ignore(): void {}

function invalid(message: string): CacheResponseError {
  return new CacheResponseError('invalid_option', `cacheResponse: ${message}`)
}

function rowScopeOf(options: CacheResponseOptions): (req: Request) => RowId {
  const scope = options.rows?.scope ?? options.scope
  if (scope === undefined) return () => ''
  return (req) => scope(req) ?? ''
}

/** `options[name]` in ms; a missing or malformed duration is an `invalid_option` naming the option. */
function durationOption(name: 'ttl' | 'grace', value: unknown): number {
  if (value === undefined) throw invalid(`\`${name}\` is required (e.g. '5m', '250ms' or ms)`)
  if (typeof value !== 'string' && typeof value !== 'number')
    throw invalid(`\`${name}\` must be a duration ('5m', '250ms' or ms), got ${typeof value}`)
  try {
    return parseDuration(value)
  } catch {
    throw invalid(`\`${name}\` must be a duration ('5m', '250ms' or ms), got ${JSON.stringify(value)}`)
  }
}

/** Validates options and resolves defaults. Throws `CacheResponseError` `invalid_option`. */
export function resolvePolicy(options: CacheResponseOptions): ResponsePolicy {
  if (options === null || typeof options !== 'object') throw invalid('options are required')
  const isPublic = options.public === true
  if (!isPublic && typeof options.scope !== 'function')
    throw invalid('`scope` is required unless `public: true` (a response must never leak between tenants)')
  if (isPublic && options.scope) throw invalid('`public: true` and `scope` exclude each other')
  const ttl = durationOption('ttl', options.ttl)
  if (ttl <= 0) throw invalid('`ttl` must be positive')
  const grace = options.grace === undefined ? 0 : durationOption('grace', options.grace)
  const maxBodyBytes = options.maxBodyBytes ?? MiB
  if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 0)
    throw invalid('`maxBodyBytes` must be an integer ≥ 0')
  const vary = (options.vary ?? []).map((h) => h.toLowerCase())
  const varyNames = ['Accept-Encoding', ...(isPublic ? [] : ['Authorization']), ...(options.vary ?? [])]
  const statuses = new Set<number>()
  for (let s = 200; s < 300; s++) if (s !== 206) statuses.add(s)
  for (const s of options.statuses ?? []) statuses.add(s)
  return {
    ttl,
    grace,
    scope: options.scope,
    tags: options.tags,
    rows: options.rows,
    rowScope: rowScopeOf(options),
    allow: options.query ? new Set(options.query) : undefined,
    reject: options.unknownQuery === 'reject',
    honorRequestCacheControl: options.honorRequestCacheControl === true,
    varyKeyed: vary,
    varyNames,
    varyHeader: varyNames.join(', '),
    varyKnown: new Set(['accept-encoding', ...vary]),
    storedHeaders: [...BASE_HEADERS, ...(options.headers ?? []).map((h) => h.toLowerCase())],
    statuses,
    maxBodyBytes,
    cacheControl:
      options.cacheControl === false
        ? undefined
        : (options.cacheControl ?? (isPublic ? 'no-cache' : 'private, no-cache')),
    age: options.age !== false,
    invalidates: options.invalidates,
    onError: options.onError ?? ignore,
    onNotStored: options.onNotStored,
  }
}
