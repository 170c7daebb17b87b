import { type CacheEvents, CacheManager, memoryStore } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { useRedis } from '@hotpath/test-services'
import { describe, expect, it } from 'vitest'
import { compileGlob, escapeGlob } from '../src/glob.js'

const redis = useRedis()

// Every one of these is a pattern Redis accepts; several are "malformed" by regular-expression rules.
const PATTERNS = [
  '*',
  'a*',
  '*c',
  'a?c',
  '?',
  '??',
  'a**b*',
  '*a*b*c*',
  '[abc]',
  '[^abc]',
  '[a-c]x',
  '[z-a]',
  '[z-a]*',
  '*[z-a]?',
  '[]',
  '[]a]',
  '[^]',
  '[',
  '[abc',
  'a[b',
  '[^',
  'a[^',
  '\\',
  'a\\',
  '\\*',
  '\\[',
  '[\\]]',
  '[a-]',
  '[-a]',
  '[a\\-z]',
  '[\\',
  '(a|b)+.{2}$',
  'caf?',
  'caf??',
  '[é]',
  '[à-é]*',
  '???',
]

const KEYS = [
  'a',
  'b',
  'c',
  'm',
  'z',
  'x',
  'abc',
  'ac',
  'abbc',
  'axbyc',
  'ax',
  'bx',
  '-',
  ']',
  ']a',
  '[',
  '\\',
  'a\\',
  '*',
  'a*',
  'café',
  'cafe',
  'é',
  'a-b',
  '(a|b)+.{2}$',
]

/** The keys under `prefix` that Redis's own SCAN MATCH returns for `pattern`. */
async function redisMatches(prefix: string, pattern: string): Promise<string[]> {
  const found: string[] = []
  let cursor = '0'
  do {
    const [next, batch] = await redis.client.scan(
      cursor,
      'MATCH',
      `${escapeGlob(prefix)}${pattern}`,
      'COUNT',
      1000,
    )
    cursor = next
    found.push(...batch.map((k) => k.slice(prefix.length)))
  } while (cursor !== '0')
  return found.sort()
}

describe('Redis glob semantics', () => {
  it('compileGlob matches exactly the keys Redis SCAN MATCH finds, for every pattern, never throwing', async () => {
    const prefix = `${redis.prefix}glob:`
    await redis.client.mset(...KEYS.flatMap((k) => [`${prefix}${k}`, '1']))
    for (const pattern of PATTERNS) {
      const matcher = compileGlob(pattern)
      const ours = KEYS.filter((k) => matcher.test(k)).sort()
      expect({ pattern, keys: ours }).toEqual({ pattern, keys: await redisMatches(prefix, pattern) })
    }
  })

  it('reads a reversed range as Redis does, and a lone * matches the empty key', () => {
    expect(KEYS.filter((k) => compileGlob('[z-a]').test(k))).toEqual(['a', 'b', 'c', 'm', 'z', 'x'])
    expect(compileGlob('*').test('')).toBe(true)
    expect(compileGlob('[]').test(']')).toBe(false)
    // Bytes, not characters: `?` is one byte of the UTF-8 key, a range compares bytes as signed chars.
    expect(['caf?', 'caf??'].map((p) => compileGlob(p).test('café'))).toEqual([false, true])
    expect(['-', 'b'].map((k) => compileGlob('[a-é]').test(k))).toEqual([true, false])
    // Redis gives up on more than 1,000 nested stars (CVE-2024-31228) rather than recursing.
    expect(compileGlob(`${'a*'.repeat(1001)}b`).test(`${'a'.repeat(1001)}b`)).toBe(false)
    expect(compileGlob(`${'a*'.repeat(999)}b`).test(`${'a'.repeat(999)}b`)).toBe(true)
  })
})

describe('invalidatePattern on the memory store and on Redis', () => {
  const setUp = async (cache: CacheManager) => {
    for (const k of KEYS) await cache.set(k, k)
  }
  const remaining = async (cache: CacheManager) => {
    const left: string[] = []
    for (const k of KEYS) if ((await cache.get(k)) !== undefined) left.push(k)
    return left.sort()
  }
  let n = 0

  it.each(['[z-a]', '[z-a]*', '[', 'a[^', '\\', '[]', '[abc', '(a|b)+.{2}$', 'caf?'])(
    '%s deletes the same keys from both, without throwing',
    async (pattern) => {
      const memory = new CacheManager({ store: memoryStore(), prefix: 'm:' })
      const client = redis.connect()
      await client.ping()
      const onRedis = new CacheManager({ store: redisStore({ client }), prefix: `${redis.prefix}im${++n}:` })
      await Promise.all([memory.ready(), onRedis.ready()])
      await setUp(memory)
      await setUp(onRedis)
      const counts = [await memory.invalidatePattern(pattern), await onRedis.invalidatePattern(pattern)]
      expect(counts[0]).toBe(counts[1])
      expect(await remaining(memory)).toEqual(await remaining(onRedis))
      expect(await remaining(memory)).toHaveLength(KEYS.length - counts[0]!)
      await Promise.all([memory.close(), onRedis.close()])
    },
  )

  it('a pattern arriving on the bus evicts the other process L1 as Redis would, and never throws', async () => {
    const prefix = `${redis.prefix}bus${++n}:`
    const make = async () => {
      const client = redis.connect()
      await client.ping()
      const cache = new CacheManager({ store: redisStore({ client }), prefix, timeout: '2s', l1: {} })
      await cache.ready()
      return cache
    }
    const [a, b] = [await make(), await make()]
    const errors: unknown[] = []
    b.on('error', (e) => errors.push(e))
    for (const pattern of ['[z-a]', 'a[^', '[', '\\']) {
      await setUp(b) // fills b's L1 through Redis
      const seen = new Promise<CacheEvents['invalidate']>((resolve) => {
        const off = b.on('invalidate', (e) => {
          if (e.source === 'bus' && e.kind === 'pattern') {
            off()
            resolve(e)
          }
        })
      })
      const deleted = await a.invalidatePattern(pattern)
      const matcher = compileGlob(pattern)
      const event = await seen
      expect(event).toMatchObject({ pattern, count: KEYS.filter((k) => matcher.test(k)).length })
      expect(deleted).toBe(event.count)
      expect(await remaining(b)).toEqual(KEYS.filter((k) => !matcher.test(k)).sort())
    }
    expect(errors).toEqual([])
    await Promise.all([a.close(), b.close()])
  })
})
