// A memory-only user: @hotpath/cache-kit alone, with none of its optional peers installed.
import assert from 'node:assert/strict'
import { type CacheEvents, CacheManager, fflateCodec, memoryStore, parseDuration } from '@hotpath/cache-kit'

// Loading the main entry must not need node:zlib (runtimes without it use the fflate codec).
const zlibLoaded = () =>
  (process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes('NativeModule zlib')
assert.equal(zlibLoaded(), false)
const portable = new CacheManager({ store: memoryStore(), prefix: 'portable', codec: fflateCodec })
await portable.set('page', { text: 'y'.repeat(4096) })
assert.deepEqual(await portable.get('page'), { text: 'y'.repeat(4096) })
assert.equal(zlibLoaded(), false)

const cache = new CacheManager({ store: memoryStore(), prefix: 'consumer', ttl: '1m' })
const errors: CacheEvents['error'][] = []
cache.on('error', (event) => errors.push(event))
let loads = 0
const product = { id: 1, name: 'Lamp', text: 'x'.repeat(4096) }
const load = async () => {
  loads++
  return product
}
assert.deepEqual(await cache.getOrSet('product:1', load, { tags: ['products'] }), product)
assert.deepEqual(await cache.getOrSet('product:1', load, { tags: ['products'] }), product)
assert.equal(loads, 1)
assert.equal(zlibLoaded(), true) // the default codec loads it on the first compression
await cache.invalidateTags(['products'])
assert.equal(await cache.get('product:1'), undefined)
assert.equal(parseDuration('5m'), 300_000)
assert.deepEqual(errors, [])
await Promise.all([cache.close(), portable.close()])
console.log('memory app, ESM: ok')
