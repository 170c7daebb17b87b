import type { CacheManager } from '@hotpath/cache-kit'
import type { NotStorableReason } from '@hotpath/cache-kit/express'
import type { Knex } from 'knex'
import type { Logger } from 'pino'
import type { Registry } from 'prom-client'

/** The cache the service uses (cache-kit's manager). */
export type Cache = CacheManager

/** Everything {@link createApp} needs; the caller owns and closes them. */
export interface AppDeps {
  readonly db: Knex
  readonly cache: Cache
  /** Bearer token of `/api/admin/*`. */
  readonly adminToken: string
  /** HMAC key of pagination cursors (the same on every instance). */
  readonly cursorSecret: string
  /** `false`: reads are never served from the response cache (default `true`). */
  readonly cacheEnabled?: boolean
  /** Request logger (one line per request); default: silent. */
  readonly logger?: Logger
  /** Registry `/metrics` renders; default: a fresh one per app. */
  readonly registry?: Registry
  /**
   * Called for each cacheable response the cache sent but did not store, with the reason and the
   * route template; {@link createApp} counts them in `/metrics` (`store_api_cache_not_stored_total`).
   */
  readonly onNotStored?: (reason: NotStorableReason, route: string) => void
}
