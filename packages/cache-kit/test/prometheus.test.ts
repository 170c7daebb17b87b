import { CacheManager } from '@hotpath/cache-kit'
import { prometheusMetrics } from '@hotpath/cache-kit/prometheus'
import { Registry } from 'prom-client'
import { expect, it } from 'vitest'

it('exports stats with bounded labels (cache, tier, result), never the key', async () => {
  const registry = new Registry()
  const a = new CacheManager({ prefix: 'shop' })
  const b = new CacheManager({ prefix: 'other', name: 'catalog' })
  prometheusMetrics(a, registry)
  const stop = prometheusMetrics(b, registry)
  await a.set('product:1', 1)
  await a.get('product:1')
  await a.get('product:2')
  await a.getOrSet('product:3', () => 3)
  await b.get('x')
  const text = await registry.metrics()
  expect(text).toContain('hotpath_cache_requests_total{cache="shop",tier="l2",result="hit"} 1')
  expect(text).toContain('hotpath_cache_requests_total{cache="shop",tier="l2",result="miss"} 2')
  expect(text).toContain('hotpath_cache_requests_total{cache="catalog",tier="l2",result="miss"} 1')
  expect(text).toContain('hotpath_cache_writes_total{cache="shop",kind="set"} 2')
  expect(text).toContain('hotpath_cache_loads_total{cache="shop",kind="loaded"} 1')
  expect(text).toContain('hotpath_cache_hit_ratio{cache="shop"} 0.3333333333333333')
  expect(text).toContain('hotpath_cache_circuit_open{cache="shop"} 0')
  expect(text).not.toContain('product:')
  stop()
  expect(await registry.metrics()).not.toContain('cache="catalog"')
})
