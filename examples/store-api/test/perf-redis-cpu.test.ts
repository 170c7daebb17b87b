// `store-api perf` reads Redis' own CPU time beside the server's: on one machine, the CPU a cache
// miss's stamps cost Redis is part of what the cache costs.
import { useRedis } from '@hotpath/test-services'
import { Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { redisCpuSeconds } from '../src/perf/perf-command.js'

const redis = useRedis()

describe('redisCpuSeconds', () => {
  it('reads the CPU time Redis has used, which grows with the commands it runs', async () => {
    const before = await redisCpuSeconds(redis.client)
    expect(before).toBeGreaterThan(0)
    const pipeline = redis.client.pipeline()
    for (let i = 0; i < 50_000; i++) pipeline.set(`${redis.prefix}cpu:${i % 100}`, String(i))
    await pipeline.exec()
    expect(await redisCpuSeconds(redis.client)).toBeGreaterThan(before as number)
  })

  it('answers undefined when Redis cannot be reached', async () => {
    const down = new Redis('redis://127.0.0.1:1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    })
    down.on('error', () => {})
    try {
      expect(await redisCpuSeconds(down)).toBeUndefined()
    } finally {
      down.disconnect()
    }
  })
})
