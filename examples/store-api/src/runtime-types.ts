import type { CacheManager } from '@hotpath/cache-kit'
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
}
