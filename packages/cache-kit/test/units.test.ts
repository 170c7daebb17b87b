import { gzipSync } from 'node:zlib'
import {
  CacheError,
  CacheManager,
  fflateCodec,
  memoryStore,
  parseDuration,
  zlibCodec,
} from '@hotpath/cache-kit'
import { describe, expect, it } from 'vitest'
import { readEnvelope, writeEnvelope } from '../src/envelope.js'
import { compileGlob, escapeGlob } from '../src/glob.js'

describe('parseDuration', () => {
  it('reads ms, s, m, h, d strings and plain milliseconds', () => {
    expect(parseDuration('250ms')).toBe(250)
    expect(parseDuration('180s')).toBe(180_000)
    expect(parseDuration('5m')).toBe(300_000)
    expect(parseDuration('1h')).toBe(3_600_000)
    expect(parseDuration('1.5s')).toBe(1500)
    expect(parseDuration(42)).toBe(42)
  })
  it('rejects anything else with invalid_option', () => {
    for (const bad of ['5', '5 minutes', '-1s', 'ms', -1, Number.NaN])
      expect(() => parseDuration(bad)).toThrow(expect.objectContaining({ code: 'invalid_option' }))
  })
})

describe('glob', () => {
  it('follows Redis glob rules', () => {
    const m = (g: string, s: string) => compileGlob(g).test(s)
    expect(m('products:42:*', 'products:42:7')).toBe(true)
    expect(m('products:42:*', 'products:420:7')).toBe(false)
    expect(m('a?c', 'abc')).toBe(true)
    expect(m('a?c', 'ac')).toBe(false)
    expect(m('[ab]x', 'bx')).toBe(true)
    expect(m('[^ab]x', 'bx')).toBe(false)
    expect(m('[a-c]x', 'cx')).toBe(true)
    expect(m('\\*', '*')).toBe(true)
    expect(m('\\*', 'x')).toBe(false)
    expect(m('a.b', 'aXb')).toBe(false)
  })
  it('escapes every metacharacter so a prefix matches only itself', () => {
    const prefix = 'sh*p?[1]\\x:'
    const re = compileGlob(`${escapeGlob(prefix)}*`)
    expect(re.test(`${prefix}anything`)).toBe(true)
    expect(re.test('shop?[1]\\x:anything')).toBe(false)
    expect(re.test('sh*p?1\\x:anything')).toBe(false)
  })
})

describe('envelope', () => {
  const meta = { storedAt: 1, expiresAt: 2, graceUntil: 3, tags: [{ name: 'tâg:1', version: '17' }] }
  it('round-trips header, tags and payload', () => {
    const env = readEnvelope(writeEnvelope(meta, 'bytes', true, Buffer.from([9, 8, 7])))
    expect(env).toMatchObject({ ...meta, kind: 'bytes', gzip: true })
    expect([...env.payload]).toEqual([9, 8, 7])
  })
  it('refuses unknown magic, versions, flags and truncation', () => {
    const good = Buffer.from(writeEnvelope(meta, 'json', false, Buffer.from('1')))
    const variants = [Buffer.from('x'), good.subarray(0, 30)]
    for (const [at, v] of [
      [0, 0],
      [1, 2],
      [2, 9],
      [3, 5],
    ] as const) {
      const b = Buffer.from(good)
      b[at] = v
      variants.push(b)
    }
    for (const v of variants) expect(() => readEnvelope(v)).toThrow(CacheError)
  })
  it('takes at most 255 tags', () => {
    const tags = Array.from({ length: 256 }, (_, i) => ({ name: `t${i}`, version: '0' }))
    expect(() => writeEnvelope({ ...meta, tags }, 'json', false, Buffer.alloc(0))).toThrow(CacheError)
  })
})

describe('codecs', () => {
  const page = Buffer.from(JSON.stringify(Array.from({ length: 300 }, (_, i) => ({ id: i, n: `row ${i}` }))))
  it('write standard gzip that the other codec and node:zlib read', async () => {
    for (const [w, r] of [
      [zlibCodec, fflateCodec],
      [fflateCodec, zlibCodec],
    ] as const) {
      const gz = await w.gzip(page)
      expect(gz[0]).toBe(0x1f)
      expect(gz[1]).toBe(0x8b)
      expect(Buffer.from(await r.gunzip(gz, 1 << 20)).equals(page)).toBe(true)
    }
  })
  it('stop at the decompressed cap with decompressed_too_large', async () => {
    const bomb = gzipSync(Buffer.alloc(32 << 20))
    for (const codec of [zlibCodec, fflateCodec])
      await expect(codec.gunzip(bomb, 1 << 20)).rejects.toMatchObject({ code: 'decompressed_too_large' })
  })
})

describe('memoryStore', () => {
  it('evicts the least recently used entry past maxEntries', async () => {
    const s = memoryStore({ maxEntries: 2 })
    await s.set('a', Buffer.from('a'), 60_000, [])
    await s.set('b', Buffer.from('b'), 60_000, [])
    await s.get('a')
    await s.set('c', Buffer.from('c'), 60_000, [])
    expect(await s.get('b')).toBeUndefined()
    expect(await s.get('a')).toBeDefined()
    expect(await s.get('c')).toBeDefined()
  })
  it('tells from its invalidation log that a tag without a version was left alone, back to the oldest it holds', async () => {
    const s = memoryStore()
    const stamp = s.stampTagsClocked as NonNullable<typeof s.stampTagsClocked>
    const first = await stamp(['t:seen'])
    await s.invalidateTags(['t:unseen'], []) // no version to replace: only the log tells
    expect((await stamp(['t:unseen'], first.clock, 1)).predate).toBe(false)
    const later = await stamp(['t:seen'])
    expect((await stamp(['t:unseen', 't:new'], later.clock, 2)).predate).toBe(true)
    // 100,001 more tags push the oldest records out: the log no longer reaches back to `later`.
    await s.invalidateTags(
      Array.from({ length: 100_001 }, (_, i) => `t:${i}`),
      [],
    )
    expect((await stamp(['t:other'], later.clock, 1)).predate).toBe(false)
  })

  it('expires by ttl, keeps tag versions apart from the LRU, counts tagged writes', async () => {
    const s = memoryStore({ maxEntries: 1 })
    await s.set('a', Buffer.from('a'), 20, ['n:t'])
    await s.set('b', Buffer.from('b'), 20, ['n:t'])
    expect(await s.tagVersions(['t:t'])).toEqual([''])
    expect(await s.stampTags(['t:t'])).toEqual(['1'])
    expect(await s.stampTags(['t:t', 't:u'])).toEqual(['1', '2'])
    // An invalidation replaces an existing version by a new one (a missing one stays missing).
    expect(await s.invalidateTags(['t:t', 't:none'], ['n:t'])).toBe(2)
    expect(await s.tagVersions(['t:t', 't:u', 't:none'])).toEqual(['3', '2', ''])
    expect(await s.stampTags(['t:t', 't:none'])).toEqual(['3', '4'])
    await new Promise((r) => setTimeout(r, 40))
    expect(await s.get('b')).toBeUndefined()
  })
  it('rejects a bad maxEntries or maxBytes', () => {
    expect(() => memoryStore({ maxEntries: 0 })).toThrow(CacheError)
    expect(() => memoryStore({ maxBytes: 0 })).toThrow(CacheError)
    expect(() => memoryStore({ maxBytes: 1.5 })).toThrow(CacheError)
  })
  it('evicts least recently used entries until the bytes fit maxBytes; never keeps one bigger than it', async () => {
    // Each entry counts its key length plus its bytes: 1 + 100. (maxEntries 4: a read refreshes recency.)
    const s = memoryStore({ maxBytes: 350, maxEntries: 4 })
    for (const k of ['a', 'b', 'c']) await s.set(k, Buffer.alloc(100, k), 60_000, [])
    await s.get('a')
    await s.set('d', Buffer.alloc(100, 'd'), 60_000, [])
    expect(await s.get('b')).toBeUndefined()
    for (const k of ['a', 'c', 'd']) expect((await s.get(k))?.[0]).toBe(k.charCodeAt(0))
    await s.set('big', Buffer.alloc(200, 'x'), 60_000, [])
    expect(await s.get('c')).toBeUndefined()
    expect(await s.get('a')).toBeUndefined()
    expect((await s.get('big'))?.byteLength).toBe(200)
    expect((await s.get('d'))?.byteLength).toBe(100)
    await s.set('huge', Buffer.alloc(400), 60_000, [])
    expect(await s.get('huge')).toBeUndefined()
    expect((await s.get('d'))?.byteLength).toBe(100)
    // Overwriting and deleting give their bytes back.
    await s.set('d', Buffer.alloc(10, 'd'), 60_000, [])
    await s.delete(['big'])
    for (const k of ['e', 'f', 'g']) await s.set(k, Buffer.alloc(100, k), 60_000, [])
    for (const k of ['d', 'e', 'f', 'g']) expect(await s.get(k)).toBeDefined()
  })
  it('keeps a hot entry past eviction in a larger map (recency refreshed once it ages)', async () => {
    const s = memoryStore({ maxEntries: 8 })
    await s.set('hot', Buffer.from('h'), 60_000, [])
    for (let i = 0; i < 40; i++) {
      await s.set(`k${i}`, Buffer.from('x'), 60_000, [])
      expect(await s.get('hot')).toBeDefined()
    }
    expect(await s.get('k0')).toBeUndefined()
  })
})

describe('CacheManager on the memory store (entries decoded once)', () => {
  it('a JSON value read again is a fresh copy; bytes come back as the same view; invalidation still holds', async () => {
    const cache = new CacheManager({ prefix: 'units' })
    await cache.set('j', { n: 1, list: [1] }, { tags: ['t'] })
    const first = await cache.get<{ n: number; list: number[] }>('j')
    const second = await cache.get<{ n: number; list: number[] }>('j')
    expect(second).toEqual({ n: 1, list: [1] })
    expect(second).not.toBe(first)
    if (second) second.list.push(2)
    expect(await cache.get('j')).toEqual({ n: 1, list: [1] })
    await cache.set('b', Buffer.from('bytes'), { tags: ['t'] })
    const b1 = await cache.get<Buffer>('b')
    expect(b1?.toString()).toBe('bytes')
    expect(await cache.get('b')).toBe(b1)
    await cache.invalidateTags(['t'])
    expect(await cache.get('j')).toBeUndefined()
    expect(await cache.get('b')).toBeUndefined()
  })
  it('an entry whose tag stamps no longer match is a miss before its payload is read', async () => {
    const store = memoryStore()
    const cache = new CacheManager({ store, prefix: 'hdr' })
    const errors: string[] = []
    cache.on('error', (e) => errors.push(e.error.code))
    const now = Date.now()
    const meta = { storedAt: now, expiresAt: now + 60_000, graceUntil: now + 60_000 }
    const stamped = (tags: { name: string; version: string }[]) =>
      writeEnvelope({ ...meta, tags }, 'json', false, Buffer.from('{not json'))
    // Stamped with a version tag 't' does not have (it has none): invalid, so never parsed.
    await store.set('hdr:stale', stamped([{ name: 't', version: 'gone' }]), 60_000, [])
    expect(await cache.get('stale')).toBeUndefined()
    expect(errors).toEqual([])
    expect(await store.get('hdr:stale')).toBeDefined()
    // Without tags the payload is read: corrupt, reported and deleted.
    await store.set('hdr:bad', stamped([]), 60_000, [])
    expect(await cache.get('bad')).toBeUndefined()
    expect(errors).toEqual(['corrupt_entry'])
    expect(await store.get('hdr:bad')).toBeUndefined()
  })
  it('peekEntry answers without waiting once an entry was decoded, null when it cannot tell', async () => {
    const cache = new CacheManager({ prefix: 'peek' })
    expect(cache.peekEntry('absent')).toBeUndefined()
    await cache.set('k', Buffer.from('v'), { tags: ['t'] })
    expect(cache.peekEntry('k')).toBeNull() // not decoded yet: getEntry reads it
    const read = await cache.getEntry<Buffer>('k')
    expect(cache.peekEntry<Buffer>('k')?.value).toBe(read?.value)
    await cache.invalidateTags(['t'])
    expect(cache.peekEntry('k')).toBeUndefined()
    expect(cache.stats()).toMatchObject({ hits: 2, misses: 2 })
    expect(new CacheManager({ prefix: 'peek', consistency: 'strict' }).peekEntry('k')).toBeNull()
  })
})
