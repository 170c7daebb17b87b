// The memory-only user from CommonJS.
import assert = require('node:assert/strict')
import cacheKit = require('@hotpath/cache-kit')

async function main(): Promise<void> {
  const cache = new cacheKit.CacheManager({ store: cacheKit.memoryStore(), prefix: 'consumer-cjs' })
  let loads = 0
  const load = async () => {
    loads++
    return { id: 2, text: 'z'.repeat(2048) }
  }
  await cache.getOrSet('product:2', load)
  assert.deepEqual(await cache.getOrSet('product:2', load), { id: 2, text: 'z'.repeat(2048) })
  assert.equal(loads, 1)
  await cache.close()
  console.log('memory app, CJS: ok')
}

main().catch((error: unknown) => {
  console.error(error)
  process.exit(1)
})
