import { CacheManager, type CacheStore } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis } from '@hotpath/test-services'
import { afterEach, expect, it } from 'vitest'

// `getOrSet` on a shared store answers once the value is loaded and encoded; its store write goes
// on behind the callers. These tests hold that write at a gate in front of a real Redis store, so
// each step is decided by the test, not by timing.

const redis = useRedis()
let n = 0
const caches: CacheManager[] = []
const gates: (() => void)[] = []
afterEach(async () => {
  // A test that failed with its gate shut must not keep close() waiting for the write.
  for (const open of gates.splice(0)) open()
  for (const c of caches.splice(0)) await c.close()
})

/**
 * A Redis store whose writes (`set`) wait until `open()`; `calls` counts the writes that reached it,
 * `reached` resolves at the first.
 */
function gatedStore(options: { releaseOnSet?: false } = {}) {
  const store = redisStore({ client: redis.client })
  let open: () => void = () => {}
  const opened = new Promise<void>((resolve) => {
    open = resolve
  })
  let reach: () => void = () => {}
  const reached = new Promise<void>((resolve) => {
    reach = resolve
  })
  gates.push(() => open())
  let calls = 0
  const gated: CacheStore = {
    ...store,
    capabilities: { ...store.capabilities, ...options },
    async set(...args) {
      calls++
      reach()
      await opened
      return store.set(...args)
    },
  }
  return {
    store: gated,
    open,
    reached,
    get calls() {
      return calls
    },
  }
}

function pair(options: { failOpen?: boolean; releaseOnSet?: false } = {}) {
  const prefix = `${redis.prefix}wb${++n}`
  const { releaseOnSet, ...rest } = options
  const gate = gatedStore(releaseOnSet === undefined ? {} : { releaseOnSet })
  const a = new CacheManager({ store: gate.store, prefix, timeout: '5s', ...rest })
  // Another process on the same Redis, writing without a gate.
  const b = new CacheManager({ store: redisStore({ client: redis.client }), prefix, timeout: '5s' })
  caches.push(a, b)
  return { gate, a, b, prefix }
}

/** Whether `p` settled once every callback already queued has run (one macrotask turn). */
async function isSettled(p: Promise<unknown>): Promise<boolean> {
  let done = false
  p.then(
    () => {
      done = true
    },
    () => {
      done = true
    },
  )
  await new Promise((resolve) => setImmediate(resolve))
  return done
}

it('answers before the store write lands; this process reads the value once it has', async () => {
  const { gate, a, b } = pair()
  const got = a.getOrSet('k', () => ({ n: 1 }))
  await gate.reached
  expect(await isSettled(got)).toBe(true)
  expect(await got).toEqual({ n: 1 })
  expect(gate.calls).toBe(1)
  // The entry is not in Redis yet: another process misses it.
  expect(await b.get('k')).toBeUndefined()
  // This process's read waits for its own write, then finds the entry.
  const read = a.get('k')
  expect(await isSettled(read)).toBe(false)
  gate.open()
  expect(await read).toEqual({ n: 1 })
  expect(await b.get('k')).toEqual({ n: 1 })
  expect(a.stats().loads).toBe(1)
})

it('a delete right after getOrSet is never undone by its write', async () => {
  const { gate, a, b } = pair()
  await a.getOrSet('k', () => 'old')
  const deleting = a.delete('k')
  expect(await isSettled(deleting)).toBe(false)
  gate.open()
  await deleting
  expect(await b.get('k')).toBeUndefined()
  expect(await a.get('k')).toBeUndefined()
})

it('a set right after getOrSet is written after it, so the newer value stays', async () => {
  const { gate, a, b } = pair()
  await a.getOrSet('k', () => 'old')
  const setting = a.set('k', 'new')
  expect(await isSettled(setting)).toBe(false)
  // The set waits for the write in flight before it reaches the store.
  expect(gate.calls).toBe(1)
  gate.open()
  await setting
  expect(gate.calls).toBe(2)
  expect(await b.get('k')).toBe('new')
})

it('another process waits on the lease for the write, and does not load again', async () => {
  const { gate, a, b } = pair()
  expect(await a.getOrSet('k', () => 'from a')).toBe('from a')
  let loadedByB = false
  const other = b.getOrSet('k', () => {
    loadedByB = true
    return 'from b'
  })
  expect(await isSettled(other)).toBe(false)
  gate.open()
  expect(await other).toBe('from a')
  expect(loadedByB).toBe(false)
})

it('close waits for the writes still in flight', async () => {
  const { gate, a, b } = pair()
  await a.getOrSet('k', () => 'v')
  const closing = a.close()
  expect(await isSettled(closing)).toBe(false)
  gate.open()
  await closing
  expect(await b.get('k')).toBe('v')
})

it('with failOpen: false, getOrSet waits for its write (whose failure it reports)', async () => {
  const { gate, a, b } = pair({ failOpen: false })
  const got = a.getOrSet('k', () => 'v')
  await gate.reached
  expect(await isSettled(got)).toBe(false)
  expect(gate.calls).toBe(1)
  gate.open()
  expect(await got).toBe('v')
  expect(await b.get('k')).toBe('v')
})

it('settled() resolves once the writes in flight have landed, and their leases are let go', async () => {
  // A store that cannot release the lease in its write: the lease goes in a call after it.
  const { gate, a, b, prefix } = pair({ releaseOnSet: false })
  await a.getOrSet('k', () => 'v')
  expect(await redis.client.exists(`${prefix}#l:k`)).toBe(1)
  const settling = a.settled()
  expect(await isSettled(settling)).toBe(false)
  gate.open()
  await settling
  expect(await redis.client.exists(`${prefix}#l:k`)).toBe(0)
  expect(await b.get('k')).toBe('v')
})

it('settled() waits for a set in flight too', async () => {
  const { gate, a, b } = pair()
  const setting = a.set('k', 'v')
  await gate.reached
  const settling = a.settled()
  expect(await isSettled(settling)).toBe(false)
  gate.open()
  await settling
  expect(await isSettled(setting)).toBe(true)
  expect(await b.get('k')).toBe('v')
})

it('settled() waits for a set from its start, while it still stamps its tags', async () => {
  const { gate, a, b } = pair()
  const setting = a.set('k', 'v', { tags: ['t'] })
  // Called at once: the set is still reading its tags' versions, and has not reached the store.
  const settling = a.settled()
  expect(gate.calls).toBe(0)
  await gate.reached
  expect(await isSettled(settling)).toBe(false)
  gate.open()
  await settling
  expect(await isSettled(setting)).toBe(true)
  expect(await b.get('k')).toBe('v')
})
