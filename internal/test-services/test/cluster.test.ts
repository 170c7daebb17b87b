import { describe, expect, it } from 'vitest'
import { useRedisCluster } from '../src/index.js'

describe('Redis Cluster', () => {
  const cluster = useRedisCluster()

  it('has three masters covering every slot and routes keys across them', async () => {
    const masters = cluster.client.nodes('master')
    expect(masters).toHaveLength(3)
    const keys = Array.from({ length: 30 }, (_, i) => `${cluster.prefix}k${i}`)
    for (const k of keys) await cluster.client.set(k, k, 'PX', 60_000)
    const counts = await Promise.all(masters.map((m) => m.dbsize()))
    expect(counts.filter((n) => n > 0).length).toBeGreaterThan(1)
    expect(await cluster.client.get(keys[7]!)).toBe(keys[7])
  })
})
