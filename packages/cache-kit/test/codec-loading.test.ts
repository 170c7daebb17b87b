// On a runtime without node:zlib (edge workers), the main entry loads, the fflate codec works and
// the zlib codec says what to use instead. Such a runtime is stood in for by a process whose
// getBuiltinModule knows no zlib, before anything in this file compressed (the codec loads lazily).
import { CacheError, CacheManager, fflateCodec, memoryStore, zlibCodec } from '@hotpath/cache-kit'
import { afterAll, describe, expect, it } from 'vitest'

const original = process.getBuiltinModule
process.getBuiltinModule = ((id: string) =>
  id === 'node:zlib' || id === 'zlib' ? undefined : original(id)) as typeof process.getBuiltinModule
afterAll(() => {
  process.getBuiltinModule = original
})

describe('without node:zlib', () => {
  it('the zlib codec rejects with CacheError unsupported, pointing at fflateCodec', async () => {
    const gzip = zlibCodec.gzip(new Uint8Array(16))
    await expect(gzip).rejects.toBeInstanceOf(CacheError)
    await expect(gzip).rejects.toMatchObject({
      code: 'unsupported',
      message: 'node:zlib is not available here: use `codec: fflateCodec`',
    })
    await expect(zlibCodec.gunzip(new Uint8Array(16), 1024)).rejects.toMatchObject({ code: 'unsupported' })
  })

  it('a CacheManager with the fflate codec compresses and reads back', async () => {
    const cache = new CacheManager({ store: memoryStore(), prefix: 'no-zlib', codec: fflateCodec })
    const value = { text: 'x'.repeat(8192) }
    await cache.set('page', value)
    expect(await cache.get('page')).toEqual(value)
    expect(cache.stats().errors).toBe(0)
    await cache.close()
  })
})
