import { randomBytes } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { Redis } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type CaseOutcome, reportCases } from '../support/case-table.js'
import { bodyOf, send, xCache } from '../support/http-client.js'
import { useStack } from '../support/stack.js'

const stack = useStack({ redis: {}, instances: 2, tenants: 1, products: 8 })
let redis: Redis

beforeAll(() => {
  redis = new Redis(stack.redis?.url ?? '', { maxRetriesPerRequest: 1 })
})
// `redis` is unset when the stack failed to start: this hook must not throw then, or Vitest skips
// the stack's own teardown and its servers are left running.
afterAll(() => {
  if (redis) redis.disconnect()
})

/** Entry keys (not tag versions, counters, leases: those carry `#`) in the private Redis. */
async function entryKeys(): Promise<Set<string>> {
  const keys = await redis.keys('*')
  return new Set(keys.filter((k) => !k.includes('#')))
}

/** Offset of the payload in cache-kit's envelope: 28-byte header, then per tag u16 name length, name, u8 version length, version. */
function payloadOffset(bytes: Buffer): number {
  let at = 28
  for (let t = 0; t < (bytes[3] ?? 0); t++) {
    at += 2 + bytes.readUInt16BE(at)
    at += 1 + (bytes[at] ?? 0)
  }
  return at
}

/** The planted values: each must read as a miss (the product comes from the database). */
const PLANTS: [string, (real: Buffer) => Buffer][] = [
  ['random bytes', () => randomBytes(300)],
  ['empty value', () => Buffer.alloc(0)],
  ['truncated envelope', (real) => real.subarray(0, 12)],
  [
    'unknown format version',
    (real) => Buffer.concat([real.subarray(0, 1), Buffer.from([99]), real.subarray(2)]),
  ],
  [
    'gzip flag on a plain payload',
    (real) => Buffer.concat([real.subarray(0, 2), Buffer.from([(real[2] ?? 0) | 1]), real.subarray(3)]),
  ],
  [
    'gzip bomb (64 MiB of zeros)',
    (real) => {
      const at = payloadOffset(real)
      const head = Buffer.from(real.subarray(0, at))
      head[2] = (head[2] ?? 0) | 1
      return Buffer.concat([head, gzipSync(Buffer.alloc(64 << 20), { level: 9 })])
    },
  ],
  [
    'valid envelope, payload not a response',
    (real) =>
      Buffer.concat([
        real.subarray(0, payloadOffset(real)).map((b, i) => (i === 2 ? b & ~1 : b)),
        Buffer.from('"hello"'),
      ]),
  ],
]

it('planted cache values (corrupt bytes, unknown version, gzip bomb) are treated as misses', async () => {
  const [a, b] = stack.instances
  const tenant = stack.tenants[0]!
  if (!a || !b) throw new Error('two instances expected')
  // Warm the API key lookups, so the only new entry a detail read makes is the response's.
  for (const i of [a, b]) await send(i.origin, { path: '/api/categories', headers: tenant.auth })
  const cases: CaseOutcome[] = []
  let requests = 2
  for (const [n, [name, plant]] of PLANTS.entries()) {
    const product = tenant.products[n]!
    const path = `/api/products/${product.id}`
    const before = await entryKeys()
    const first = await send(a.origin, { path, headers: tenant.auth })
    // The response is written to the cache in the background: wait for its key (at most 10 s,
    // generous for a loaded machine; past it the case fails as a setup problem).
    let fresh: string[] = []
    for (const deadline = performance.now() + 10_000; fresh.length === 0 && performance.now() < deadline; ) {
      fresh = [...(await entryKeys())].filter((k) => !before.has(k))
      if (fresh.length === 0) await new Promise((r) => setTimeout(r, 50))
    }
    for (const key of fresh) {
      const real = await redis.getBuffer(key)
      if (real) await redis.set(key, plant(real), 'KEEPTTL')
    }
    // B has never read this product: its in-process tier is empty, so it reads the planted value.
    const res = await send(b.origin, { path, headers: tenant.auth, timeoutMs: 5000 })
    requests += 2
    const body = bodyOf(res) as { id?: unknown; name?: unknown } | undefined
    const problem =
      first.status !== 200 || fresh.length === 0
        ? `setup: first read ${first.status}, ${fresh.length} new keys`
        : body?.id !== product.id || body?.name !== product.name
          ? `body ${res.text.slice(0, 80)}`
          : xCache(res) === 'HIT'
            ? 'served as a HIT'
            : undefined
    cases.push({ name, expected: '200', status: res.status, ...(problem ? { problem } : {}) })
  }
  const verdict = reportCases({
    id: 'planted-cache',
    title: 'Planted cache values: random bytes, truncated, unknown version, bad gzip flag, gzip bomb',
    cases,
    requests,
    written: null,
    extra: { actual: { bothInstancesAlive: a.alive() && b.alive() }, expected: { bothInstancesAlive: true } },
  })
  expect(verdict.actual).toEqual(verdict.expected)
})
