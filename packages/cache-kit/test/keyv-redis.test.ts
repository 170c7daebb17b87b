import { keyvStore } from '@hotpath/cache-kit/keyv'
import { storeBehaviour } from '@hotpath/cache-kit/test-suite'
import { useRedis } from '@hotpath/test-services'
import { createKeyv } from '@keyv/redis'
import type Keyv from 'keyv'
import { afterAll, beforeAll } from 'vitest'

const redis = useRedis()
let keyv: Keyv
beforeAll(async () => {
  // Keyv's own namespace sits inside this file's space, so the harness sweeps what the suite leaves.
  keyv = createKeyv(redis.url, { namespace: redis.prefix.slice(0, -1) })
  keyv.throwOnErrors = true
})
afterAll(async () => {
  await keyv.disconnect()
})
let n = 0
// @keyv/redis walks keys with SCAN, ten at a time over the whole keyspace: on a Redis that other work
// filled (a perf run leaves 100,000 keys and more), `invalidatePattern` takes seconds, not the
// suite's default 2 s timeout.
storeBehaviour('keyv + @keyv/redis', {
  store: () => keyvStore(keyv),
  prefix: () => `t${++n}`,
  options: { timeout: '30s' },
})
