// Type-level check: every published package resolves from `import` after `npm run build`.
import * as cacheKit from '@hotpath/cache-kit'
import * as express from '@hotpath/cache-kit/express'
import * as keyv from '@hotpath/cache-kit/keyv'
import * as prometheus from '@hotpath/cache-kit/prometheus'
import * as redis from '@hotpath/cache-kit/redis'
import * as suite from '@hotpath/cache-kit/test-suite'
import * as paginate from '@hotpath/paginate'
import * as schema from '@hotpath/schema'

export const loaded: object[] = [cacheKit, express, keyv, prometheus, redis, suite, paginate, schema]
