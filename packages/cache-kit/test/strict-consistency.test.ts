import { CacheManager, type CacheStore, type Consistency } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis, useRedisCluster } from '@hotpath/test-services'
import type { Cluster, Redis } from 'ioredis'
import { describe, expect, it } from 'vitest'
import { withHeldPublish } from './support/held-bus.js'

const single = useRedis()
const cluster = useRedisCluster()

/** A promise the test resolves by hand, and one that tells when it is first waited on. */
function gate<T = void>() {
  let open!: (v: T) => void
  let entered!: () => void
  const opened = new Promise<T>((r) => {
    open = r
  })
  const waiting = new Promise<void>((r) => {
    entered = r
  })
  return {
    waiting,
    open,
    wait: () => {
      entered()
      return opened
    },
  }
}

let n = 0
describe.each([
  ['redis', () => ({ prefix: single.prefix, connect: (): Redis | Cluster => single.connect() })],
  ['redis cluster', () => ({ prefix: cluster.prefix, connect: (): Redis | Cluster => cluster.connect() })],
])('%s: read-after-invalidate across two processes', (_name, space) => {
  /**
   * Two managers (two clients: two processes), each with L1 and bus, on one Redis. A's bus
   * messages are held until `deliver()`: B has not heard of A's invalidations yet, which is the
   * moment a real bus message is still on its way.
   */
  async function pair(consistency: Consistency) {
    const { prefix, connect } = space()
    const p = `${prefix}s${++n}`
    const held = gate()
    const make = async (hold: boolean) => {
      const client = connect()
      await client.ping()
      const base = redisStore({ client })
      const store: CacheStore = hold ? withHeldPublish(base, held.wait) : base
      return new CacheManager({ store, prefix: p, timeout: '2s', l1: {}, consistency })
    }
    const [a, b] = [await make(true), await make(false)]
    await Promise.all([a.ready(), b.ready()])
    const close = async () => {
      held.open()
      await Promise.all([a.close(), b.close()])
    }
    return { a, b, close }
  }

  it('an L1 copy older than the invalidation is not served (bus message not arrived)', async () => {
    const { a, b, close } = await pair('strict')
    expect(await b.getOrSet('k', () => 'old', { tags: ['t'] })).toBe('old')
    expect(await b.get('k')).toBe('old')
    expect(b.stats().l1?.hits).toBe(1)
    await a.invalidateTags(['t'])
    expect(await b.get('k')).toBeUndefined()
    expect(await b.getEntry('k')).toBeUndefined()
    expect(await b.getOrSet('k', () => 'new', { tags: ['t'] })).toBe('new')
    // The new value is checked too, and holds.
    expect(await b.get('k')).toBe('new')
    expect(await a.get('k')).toBe('new')
    await close()
  })

  it('a read does not join a single-flight whose load began before the invalidation', async () => {
    const { a, b, close } = await pair('strict')
    const slow = gate<string>()
    const first = b.getOrSet('f', () => slow.wait(), { tags: ['t'] })
    await slow.waiting
    await a.invalidateTags(['t'])
    let fresh = 0
    const second = b.getOrSet(
      'f',
      () => {
        fresh++
        return 'new'
      },
      { tags: ['t'] },
    )
    slow.open('old')
    expect(await first).toBe('old')
    expect(await second).toBe('new')
    expect(fresh).toBe(1)
    // The old load stored its entry after the invalidation, stamped with the old version.
    expect(await b.get('f')).toBe('new')
    expect(await a.get('f')).toBe('new')
    await close()
  })

  it('an entry stored after the invalidation by a load that began before it reads as a miss', async () => {
    const { a, b, close } = await pair('strict')
    const slow = gate<string>()
    const load = b.getOrSet('s', () => slow.wait(), { tags: ['t'] })
    await slow.waiting
    await a.invalidateTags(['t'])
    slow.open('old')
    expect(await load).toBe('old')
    // Stored in B's L1 and in Redis after the invalidation: neither may answer.
    expect(await b.get('s')).toBeUndefined()
    expect(await a.get('s')).toBeUndefined()
    // The same by hand: snapshot, invalidation elsewhere, then set.
    const snapshot = await b.snapshotTags(['t'])
    if (!snapshot) throw new Error('no snapshot')
    await a.invalidateTags(['t'])
    await b.set('m', 'old', { snapshot })
    expect(await b.get('m')).toBeUndefined()
    expect(await a.get('m')).toBeUndefined()
    await close()
  })

  it('single-flight still coalesces readers that see the same versions', async () => {
    const { b, close } = await pair('strict')
    const slow = gate<string>()
    let calls = 0
    const loader = () => {
      calls++
      return slow.wait()
    }
    const first = b.getOrSet('c', loader, { tags: ['t'] })
    await slow.waiting
    const rest = Array.from({ length: 10 }, () => b.getOrSet('c', loader, { tags: ['t'], lock: false }))
    // Each reads the store and the versions first: open the gate once all ten have joined.
    while (b.stats().coalesced < 10) await new Promise((r) => setImmediate(r))
    slow.open('v')
    expect(await Promise.all([first, ...rest])).toEqual(Array(11).fill('v'))
    expect(calls).toBe(1)
    await close()
  })

  it('eventual: a load that an invalidation in its own process overtook does not land in L1', async () => {
    const { b, close } = await pair('eventual')
    const slow = gate<string>()
    const load = b.getOrSet('e', () => slow.wait(), { tags: ['t'] })
    await slow.waiting
    await b.invalidateTags(['t'])
    slow.open('old')
    expect(await load).toBe('old')
    expect(await b.get('e')).toBeUndefined()
    expect(b.stats().l1?.hits).toBe(0)
    await close()
  })

  it('eventual (the default) serves what strict refuses in the same interleavings', async () => {
    const { a, b, close } = await pair('eventual')
    expect(a.consistency).toBe('eventual')
    await b.getOrSet('k', () => 'old', { tags: ['t'] })
    const slow = gate<string>()
    const first = b.getOrSet('f', () => slow.wait(), { tags: ['t'] })
    await slow.waiting
    await a.invalidateTags(['t'])
    expect(await b.get('k')).toBe('old')
    const second = b.getOrSet('f', () => 'new', { tags: ['t'] })
    slow.open('old')
    expect(await first).toBe('old')
    expect(await second).toBe('old')
    await close()
  })
})
