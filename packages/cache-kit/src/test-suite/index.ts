import { gzipSync } from 'node:zlib'
import {
  CacheManager,
  type CacheManagerOptions,
  type CacheStore,
  rowSetTag,
  rowTags,
} from '@hotpath/cache-kit'
import { describe, expect, it } from 'vitest'

/** How the suite gets a store: a fresh (or shared) store and a key prefix unique to the calling test. */
export interface SuiteTarget {
  store(): CacheStore
  prefix(): string
  /** Extra manager options (e.g. a generous timeout for a remote store). */
  options?: CacheManagerOptions
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

/**
 * The behavioural suite every store must pass (Vitest): round trips, bytes, gzip and both codecs,
 * ttl and grace, tags, patterns with glob characters, single-flight, loader errors, corrupt and
 * oversized values. Prove your own store with it:
 *
 * @example
 * import { storeBehaviour } from '@hotpath/cache-kit/test-suite'
 * let n = 0
 * storeBehaviour('my store', { store: () => myStore(), prefix: () => `t${++n}` })
 */
export function storeBehaviour(name: string, target: SuiteTarget): void {
  describe(`${name}: cache behaviour`, () => {
    const make = (extra: CacheManagerOptions = {}) => {
      const store = target.store()
      const prefix = target.prefix()
      const cache = new CacheManager({ store, prefix, timeout: '2s', ...target.options, ...extra })
      return { cache, store, prefix, full: (k: string) => `${prefix}:${k}` }
    }

    it('round-trips JSON values and misses unknown keys', async () => {
      const { cache } = make()
      const values = { obj: { a: 1, b: [1, 'x', null], c: { d: true } }, nul: null, str: 'é€', num: 42.5 }
      for (const [k, v] of Object.entries(values)) await cache.set(k, v)
      for (const [k, v] of Object.entries(values)) expect(await cache.get(k)).toEqual(v)
      expect(await cache.get('nope')).toBeUndefined()
      const s = cache.stats()
      expect(s.hits).toBe(4)
      expect(s.misses).toBe(1)
      expect(s.hitRate).toBeCloseTo(0.8)
      expect(s.sets).toBe(4)
    })

    it('stores Uint8Array as raw bytes and returns identical bytes', async () => {
      const { cache, store, full } = make()
      const bytes = new Uint8Array(3000).map((_, i) => (i * 7) % 256)
      await cache.set('bin', bytes, { compress: false })
      const back = await cache.get<Uint8Array>('bin')
      expect(back).toBeInstanceOf(Uint8Array)
      expect(Buffer.from(back as Uint8Array).equals(Buffer.from(bytes))).toBe(true)
      const raw = await store.get(full('bin'))
      // header flags: bytes kind, not gzipped; the payload is the bytes themselves (no base64)
      expect(raw?.[2]).toBe(2)
      expect(
        Buffer.from(raw as Uint8Array)
          .subarray(-3000)
          .equals(Buffer.from(bytes)),
      ).toBe(true)
    })

    it('gzips above the threshold, not below or with compress: false, and both codecs read each other', async () => {
      const { cache, store, prefix, full } = make()
      const big = { rows: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `product ${i}` })) }
      await cache.set('big', big)
      await cache.set('small', { a: 1 })
      await cache.set('plain', big, { compress: false })
      expect(((await store.get(full('big')))?.[2] ?? 0) & 1).toBe(1)
      expect(((await store.get(full('small')))?.[2] ?? 1) & 1).toBe(0)
      expect(((await store.get(full('plain')))?.[2] ?? 1) & 1).toBe(0)
      const other = new CacheManager({ store, prefix, codec: 'fflate', timeout: '2s', ...target.options })
      expect(other.codec.name).toBe('fflate')
      expect(await other.get('big')).toEqual(big)
      await other.set('big2', big)
      expect(await cache.get('big2')).toEqual(big)
    })

    it('expires entries after their ttl and serves them stale within grace', async () => {
      const { cache } = make()
      // Generous ttl: the fresh read right after the write must not turn stale on a loaded machine.
      await cache.set('short', 1, { ttl: '250ms' })
      await cache.set('graced', 2, { ttl: '250ms', grace: '1m' })
      const fresh = await cache.getEntry<number>('graced')
      expect(fresh).toMatchObject({ value: 2, stale: false })
      expect((fresh?.expiresAt ?? 0) - (fresh?.storedAt ?? 0)).toBe(250)
      await sleep(350)
      expect(await cache.get('short')).toBeUndefined()
      expect(await cache.getEntry('graced')).toMatchObject({ value: 2, stale: true })
      expect(cache.stats().stale).toBe(1)
    })

    it('getOrSet serves stale within grace while exactly one background refresh runs', async () => {
      const { cache } = make()
      await cache.set('k', 'old', { ttl: '30ms', grace: '1m' })
      await sleep(60)
      let calls = 0
      let release!: () => void
      const gate = new Promise<void>((r) => {
        release = r
      })
      const loader = async () => {
        calls++
        await gate
        return 'new'
      }
      const got = await Promise.all(
        Array.from({ length: 10 }, () => cache.getOrSet('k', loader, { ttl: '1m' })),
      )
      expect(got).toEqual(Array(10).fill('old'))
      release()
      await cache.close()
      expect(calls).toBe(1)
      expect(await cache.getEntry('k')).toMatchObject({ value: 'new', stale: false })
    })

    it('keeps serving stale while the refresh fails, and reports the failure', async () => {
      const { cache } = make()
      const errors: string[] = []
      cache.on('error', (e) => errors.push(e.error.code))
      await cache.set('k', 'old', { ttl: '30ms', grace: '1m' })
      await sleep(60)
      const boom = async (): Promise<string> => {
        throw new Error('db down')
      }
      expect(await cache.getOrSet('k', boom)).toBe('old')
      await cache.close()
      expect(errors).toEqual(['loader_failed'])
      expect(await cache.getOrSet('k', boom)).toBe('old')
    })

    it('deletes several keys and counts them', async () => {
      const { cache } = make()
      await cache.set('a', 1)
      await cache.set('b', 2)
      await cache.set('c', 3)
      expect(await cache.delete('a', 'b', 'zzz')).toBe(2)
      expect(await cache.get('a')).toBeUndefined()
      expect(await cache.get('c')).toBe(3)
    })

    it('invalidates by tag in O(1) and returns how many entries became invalid', async () => {
      const { cache } = make()
      const seen: number[] = []
      cache.on('invalidate', (e) => e.kind === 'tags' && seen.push(e.count))
      await cache.set('p1', 1, { tags: ['products:company:42'] })
      await cache.set('p2', 2, { tags: ['products:company:42', 'other'] })
      await cache.set('p3', 3, { tags: ['products:company:420'] })
      await cache.set('p4', 4)
      expect(await cache.get('p2')).toBe(2)
      expect(await cache.invalidateTags(['products:company:42'])).toBe(2)
      expect(seen).toEqual([2])
      expect(await cache.get('p1')).toBeUndefined()
      expect(await cache.get('p2')).toBeUndefined()
      expect(await cache.get('p3')).toBe(3)
      expect(await cache.get('p4')).toBe(4)
      await cache.set('p1', 10, { tags: ['products:company:42'] })
      expect(await cache.get('p1')).toBe(10)
      expect(await cache.invalidateTags(['products:company:42'])).toBe(1)
      expect(await cache.invalidateTags(['products:company:42'])).toBe(0)
    })

    it('getOrSet reads tag versions before loading, so an invalidation during the load wins', async () => {
      const { cache } = make()
      const v = await cache.getOrSet(
        'k',
        async () => {
          await cache.invalidateTags(['t'])
          return 'loaded-before-invalidation'
        },
        { tags: ['t'] },
      )
      expect(v).toBe('loaded-before-invalidation')
      expect(await cache.get('k')).toBeUndefined()
    })

    it('set with a snapshot taken before computing stores nothing an invalidation overtook', async () => {
      const { cache } = make()
      const before = (await cache.snapshotTags(['products']))!
      await cache.invalidateTags(['products']) // a write lands while the value is computed
      await cache.set('list', 'computed before the write', { snapshot: before })
      expect(await cache.get('list')).toBeUndefined()
      const now = (await cache.snapshotTags(['products']))!
      expect(now.tags).toEqual(['products'])
      await cache.set('list', 'fresh', { snapshot: now })
      expect(await cache.get('list')).toBe('fresh')
    })

    it('a clocked snapshot tells tags invalidated since an earlier one from tags left alone', async () => {
      const { cache } = make()
      const first = (await cache.snapshotTags(['a', 'b']))!
      if (first.clock === undefined) {
        // A store without a clock cannot tell: `predate` is always false.
        const again = await cache.snapshotTags(['a', 'b'], { predating: { clock: 0, count: 2 } })
        expect(again?.predate).toBe(false)
        return
      }
      const since = (c: number) => ({ predating: { clock: c, count: 2 } })
      expect((await cache.snapshotTags(['a', 'b'], since(first.clock)))?.predate).toBe(true)
      await cache.invalidateTags(['a'])
      expect((await cache.snapshotTags(['a', 'b'], since(first.clock)))?.predate).toBe(false)
      // Invalidated before the snapshot: its version is older than the snapshot's clock.
      const later = (await cache.snapshotTags(['a', 'b']))!.clock as number
      expect(later).toBeGreaterThan(first.clock)
      expect((await cache.snapshotTags(['a', 'b'], since(later)))?.predate).toBe(true)
      // Only the first `count` tags are checked.
      expect((await cache.snapshotTags(['a', 'b', 'new'], since(later)))?.predate).toBe(true)
      await cache.invalidateTags(['b'])
      expect((await cache.snapshotTags(['a', 'b'], since(later)))?.predate).toBe(false)
      // A tag that had no version when it was invalidated after the snapshot: its version (created
      // now) cannot tell, and a store must not say it predates.
      await cache.invalidateTags(['unseen'])
      expect((await cache.snapshotTags(['unseen'], { predating: { clock: later, count: 1 } }))?.predate).toBe(
        false,
      )
    })

    it('a row set, where the store keeps them, stands for its rows: only a write to one of them drops it', async () => {
      const { cache, store } = make()
      const rows = rowTags('items', 1, [1, 2, 3])
      const set = rowSetTag('items', 1, [1, 2, 3])
      const snap = (await cache.snapshotTags(rows, { rowSets: { sets: [{ tag: set, rows }], ttl: '1m' } }))!
      if (!store.capabilities.rowSets) expect(snap.setVersions).toBeUndefined()
      // Where the store kept the set, the entry carries it alone; elsewhere, its rows' own tags.
      const stamp = snap.setVersions ? { tags: [set], versions: snap.setVersions } : snap
      await cache.set('page', [1, 2, 3], { snapshot: stamp })
      await cache.invalidateRows([{ resource: 'items', scope: 1, ids: [9] }])
      expect(await cache.get('page')).toEqual([1, 2, 3])
      await cache.invalidateRows([{ resource: 'items', scope: 1, ids: [2] }])
      expect(await cache.get('page')).toBeUndefined()
    })

    it('invalidatePattern matches only this cache, escaping glob characters in the prefix', async () => {
      const { store, prefix } = make()
      const opts = { store, timeout: '2s' as const, ...target.options }
      const a = new CacheManager({ ...opts, prefix: `${prefix}a*[x]` })
      const lookalike = new CacheManager({ ...opts, prefix: `${prefix}abx` })
      const weird = 'w*e?i[r]d\\:k'
      for (const k of [
        'products:42:1',
        'products:42:2',
        'products:420:1',
        'products:4:2',
        weird,
        'wXeYird\\:k',
      ])
        await a.set(k, k)
      await lookalike.set('products:42:1', 'keep')
      expect(await a.invalidatePattern('products:42:*')).toBe(2)
      expect(await a.get('products:42:1')).toBeUndefined()
      expect(await a.get('products:420:1')).toBe('products:420:1')
      expect(await a.get('products:4:2')).toBe('products:4:2')
      expect(await a.invalidatePattern('w\\*e\\?i\\[r\\]d\\\\:k')).toBe(1)
      expect(await a.get(weird)).toBeUndefined()
      expect(await a.get('wXeYird\\:k')).toBe('wXeYird\\:k')
      expect(await a.invalidatePattern('*')).toBe(3)
      expect(await lookalike.get('products:42:1')).toBe('keep')
    })

    it('runs the loader once for 200 concurrent getOrSet on a cold key', async () => {
      const { cache } = make()
      let calls = 0
      const loader = async () => {
        calls++
        await sleep(20)
        return { id: 7, name: 'p' }
      }
      const all = await Promise.all(Array.from({ length: 200 }, () => cache.getOrSet('cold', loader)))
      expect(calls).toBe(1)
      for (const v of all) expect(v).toEqual({ id: 7, name: 'p' })
      // followers share one copy (decoded once), never the leader's object
      expect(new Set(all).size).toBe(2)
      expect(all[1]).not.toBe(all[0])
      expect(new Set(all.slice(1)).size).toBe(1)
      expect(cache.stats().coalesced).toBe(199)
      expect(await cache.get('cold')).toEqual({ id: 7, name: 'p' })
    })

    it('a store that releases leases with its writes frees only a lease the token still holds', async () => {
      const { store, full } = make()
      if (!store.capabilities.releaseOnSet || !store.acquire) return
      const lease = { key: full('#lease'), token: 'mine' }
      expect(await store.acquire(lease.key, 'mine', 10_000)).toBe(true)
      await store.set(full('a'), new Uint8Array([1]), 10_000, [], undefined, { ...lease, token: 'other' })
      expect(await store.acquire(lease.key, 'third', 10_000)).toBe(false) // still held
      await store.set(full('a'), new Uint8Array([2]), 10_000, [], undefined, lease)
      expect([...((await store.get(full('a'))) ?? [])]).toEqual([2])
      expect(await store.acquire(lease.key, 'third', 10_000)).toBe(true) // released
    })

    it('releases every waiter with the loader error, and loads again afterwards', async () => {
      const { cache } = make()
      let calls = 0
      const err = new Error('db exploded')
      const failing = async (): Promise<number> => {
        calls++
        await sleep(10)
        throw err
      }
      const results = await Promise.allSettled(Array.from({ length: 50 }, () => cache.getOrSet('k', failing)))
      expect(calls).toBe(1)
      for (const r of results) expect(r).toEqual({ status: 'rejected', reason: err })
      expect(await cache.getOrSet('k', async () => 5)).toBe(5)
    })

    it('never shares a value cacheIf refuses: followers load their own', async () => {
      const { cache } = make()
      let calls = 0
      const loader = async () => {
        const mine = ++calls
        await sleep(10)
        return { user: mine }
      }
      const all = await Promise.all(
        Array.from({ length: 5 }, () => cache.getOrSet('private', loader, { cacheIf: () => false })),
      )
      expect(calls).toBe(5)
      expect(new Set(all.map((v) => v.user)).size).toBe(5)
      expect(await cache.get('private')).toBeUndefined()
    })

    it('reads corrupt bytes, unknown formats and __proto__ JSON as a miss and deletes them', async () => {
      const { cache, store, full } = make()
      const errors: string[] = []
      cache.on('error', (e) => errors.push(e.error.code))
      const good = await (async () => {
        await cache.set('good', { a: 1 })
        return (await store.get(full('good'))) as Uint8Array
      })()
      const future = Buffer.from(good)
      future[1] = 9
      const proto = Buffer.concat([good.subarray(0, 28), Buffer.from('{"__proto__":{"polluted":true}}')])
      const planted: Array<[string, Uint8Array]> = [
        ['garbage', Buffer.from('not an envelope at all, just text')],
        ['future', future],
        ['proto', proto],
        ['truncated', good.subarray(0, 10)],
      ]
      for (const [k, v] of planted) await store.set(full(k), v, 60_000, [])
      for (const [k] of planted) {
        expect(await cache.get(k)).toBeUndefined()
        expect(await store.get(full(k))).toBeUndefined()
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined()
      expect(cache.stats().corrupt).toBe(4)
      expect(errors).toEqual(['corrupt_entry', 'corrupt_entry', 'corrupt_entry', 'corrupt_entry'])
      expect(await cache.get('good')).toEqual({ a: 1 })
    })

    it('treats a planted gzip bomb as a miss, not an out-of-memory', async () => {
      const { cache, store, full } = make({ maxDecompressedBytes: 1 << 20 })
      await cache.set('shape', 'x'.repeat(2000))
      const header = Buffer.from(((await store.get(full('shape'))) as Uint8Array).subarray(0, 28))
      const bomb = gzipSync(Buffer.alloc(64 << 20, '['))
      await store.set(full('bomb'), Buffer.concat([header, bomb]), 60_000, [])
      const errors: string[] = []
      cache.on('error', (e) => errors.push(e.error.code))
      expect(await cache.get('bomb')).toBeUndefined()
      expect(errors).toEqual(['decompressed_too_large'])
      const viaFflate = make({ codec: 'fflate', maxDecompressedBytes: 1 << 20 })
      await viaFflate.store.set(viaFflate.full('bomb'), Buffer.concat([header, bomb]), 60_000, [])
      expect(await viaFflate.cache.get('bomb')).toBeUndefined()
      expect(viaFflate.cache.stats().corrupt).toBe(1)
    })

    it('does not store values over maxValueBytes and counts them', async () => {
      const { cache } = make({ maxValueBytes: 1000 })
      await cache.set('big', 'x'.repeat(2000))
      expect(await cache.get('big')).toBeUndefined()
      expect(await cache.getOrSet('big2', () => 'y'.repeat(2000))).toHaveLength(2000)
      expect(await cache.get('big2')).toBeUndefined()
      expect(cache.stats().oversized).toBe(2)
    })

    it('emits hit and miss events', async () => {
      const { cache } = make()
      const events: string[] = []
      cache.on('hit', (e) => events.push(`hit:${e.key}:${e.tier}`))
      cache.on('miss', (e) => events.push(`miss:${e.key}`))
      await cache.get('a')
      await cache.set('a', 1)
      await cache.get('a')
      expect(events).toEqual(['miss:a', 'hit:a:l2'])
    })
  })
}
