import { envelopeTagNames } from '../envelope.js'
import { CacheError } from '../errors.js'
import { compileGlob } from '../glob.js'
import { Lru } from '../lru.js'
import type { CacheStore, ReadWithTags, StoreCapabilities } from './store.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept before the least recently used is evicted. Default `10_000`. */
  maxEntries?: number
}

const CAPABILITIES: StoreCapabilities = {
  shared: false,
  readWithTags: true,
  leaseOnMiss: false,
  atomicTags: true,
  scan: true,
  locks: false,
  pubsub: false,
}

/**
 * In-process store: a bounded LRU with per-entry TTL (the embedded default). Tag versions and
 * counters live beside it, outside the LRU, so eviction never resets a version.
 */
export function memoryStore(options: MemoryStoreOptions = {}): CacheStore {
  const max = options.maxEntries ?? 10_000
  if (!Number.isInteger(max) || max < 1)
    throw new CacheError('invalid_option', 'maxEntries must be a positive integer')
  const lru = new Lru<Uint8Array>(max)
  const versions = new Map<string, string>()
  // Entries are kept as the same bytes objects: the tag names of each are read once, not per hit.
  const names = new WeakMap<Uint8Array, string[]>()
  const counters = new Map<string, number>()
  let seq = 0
  const version = (k: string) => versions.get(k) ?? ''
  const peek = (key: string, tagPrefix: string): ReadWithTags | undefined => {
    const bytes = lru.get(key)
    if (!bytes) return undefined
    let tags = names.get(bytes)
    if (tags === undefined) {
      tags = envelopeTagNames(bytes)
      names.set(bytes, tags)
    }
    const current: string[] = new Array(tags.length)
    for (let i = 0; i < tags.length; i++) current[i] = version(tagPrefix + tags[i])
    return { bytes, versions: current }
  }
  return {
    name: 'memory',
    capabilities: CAPABILITIES,
    async get(key) {
      return lru.get(key)
    },
    peek,
    async getWithTagVersions(key, tagPrefix): Promise<ReadWithTags | undefined> {
      return peek(key, tagPrefix)
    },
    async set(key, bytes, ttlMs, tagCounters) {
      lru.set(key, bytes, Date.now() + ttlMs)
      for (const c of tagCounters) counters.set(c, (counters.get(c) ?? 0) + 1)
    },
    async delete(keys) {
      let n = 0
      for (const k of keys) if (lru.delete(k)) n++
      return n
    },
    async tagVersions(tagKeys) {
      return tagKeys.map(version)
    },
    async stampTags(tagKeys) {
      return tagKeys.map((k) => {
        let v = versions.get(k)
        if (v === undefined) {
          v = String(++seq)
          versions.set(k, v)
        }
        return v
      })
    },
    async invalidateTags(tagKeys, counterKeys) {
      for (const k of tagKeys) versions.delete(k)
      let n = 0
      for (const k of counterKeys) {
        n += counters.get(k) ?? 0
        counters.delete(k)
      }
      return n
    },
    async *keys(glob) {
      const re = compileGlob(glob)
      const batch = [...lru.keys()].filter((k) => re.test(k))
      if (batch.length) yield batch
    },
  }
}
