import { envelopeTagNames } from '../envelope.js'
import { CacheError } from '../errors.js'
import { compileGlob } from '../glob.js'
import { Lru } from '../lru.js'
import type { CacheStore, ReadWithTags, StoreCapabilities } from './store.js'

/** Options of {@link memoryStore}. */
export interface MemoryStoreOptions {
  /** Most entries kept before the least recently used is evicted. Default `10_000`. */
  maxEntries?: number
  /**
   * Byte budget: least recently used entries are evicted until the stored entries (envelope bytes
   * plus key length) add up to at most this; an entry bigger than the budget is not stored.
   * Default 128 MiB. The decoded copy kept beside each entry is not counted (see docs).
   */
  maxBytes?: number
  /**
   * Most tag versions kept (a page showing 60 rows carries 60 row tags, so without a bound they
   * would grow with every row ever shown). Past it the least recently stamped or read go; an entry
   * stamped with a version that went reads as a miss once, as on Redis when a version expires.
   * Default `25 × maxEntries` (250,000: about 30 MB).
   */
  maxTags?: number
}

/**
 * A tag's current version (`''`: none yet), replaced in place by an invalidation. `used`: stamped
 * or read since the bound last passed over it (a second chance before it goes).
 */
interface VersionCell {
  v: string
  used: boolean
}

/** The tag keys of a stored entry, their cells, and their versions when last looked up (an array never changed in place). */
interface TaggedEntry {
  readonly prefix: string
  readonly cells: readonly VersionCell[]
  changes: number
  versions: readonly string[]
}

/** Tags the invalidation log of {@link memoryStore} remembers (see `stampTagsClocked`). */
const LOG_ENTRIES = 100_000

const CAPABILITIES: StoreCapabilities = {
  shared: false,
  readWithTags: true,
  leaseOnMiss: false,
  atomicTags: true,
  atomicInvalidation: true,
  scan: true,
  locks: false,
  pubsub: false,
}

/**
 * In-process store: an LRU bounded by entry count and bytes, with per-entry TTL (the embedded
 * default). Tag versions and counters live beside it, outside the LRU, so evicting an entry never
 * resets a version; they have a bound of their own (`maxTags`).
 */
export function memoryStore(options: MemoryStoreOptions = {}): CacheStore {
  const max = options.maxEntries ?? 10_000
  if (!Number.isInteger(max) || max < 1)
    throw new CacheError('invalid_option', 'maxEntries must be a positive integer')
  const maxBytes = options.maxBytes ?? 128 * 1024 * 1024
  if (!Number.isInteger(maxBytes) || maxBytes < 1)
    throw new CacheError('invalid_option', 'maxBytes must be a positive integer')
  const maxTags = options.maxTags ?? 25 * max
  if (!Number.isInteger(maxTags) || maxTags < 1)
    throw new CacheError('invalid_option', 'maxTags must be a positive integer')
  const lru = new Lru<Uint8Array>(max, { maxBytes, sizeOf: (key, bytes) => key.length + bytes.byteLength })
  // One cell per tag key: an entry holds its tags' cells, so looking its versions up again after a
  // change reads a field per tag instead of hashing every key into a large Map.
  const versions = new Map<string, VersionCell>()
  /** Moves on whenever a tag version is created, replaced or dropped. */
  let changes = 0
  // At maxTags the oldest cell goes to make room for a new one (the Map's order), except that one
  // used since the bound last passed it goes to the back instead (CLOCK: a stamp or a read costs a
  // field write, not a Map move; a new cell is not marked, so it lasts one pass unless used). A
  // cell that goes is emptied: an entry holding it then reads a version it was never stamped with,
  // a miss, and a later stamp creates a new cell with a new version.
  const makeRoom = () => {
    while (versions.size >= maxTags) {
      const [k, c] = versions.entries().next().value as [string, VersionCell]
      versions.delete(k)
      if (c.used) {
        c.used = false
        versions.set(k, c)
      } else if (c.v !== '') {
        c.v = ''
        changes++
      }
    }
  }
  const cellOf = (k: string): VersionCell => {
    let c = versions.get(k)
    if (c === undefined) {
      makeRoom()
      c = { v: '', used: false }
      versions.set(k, c)
    }
    return c
  }
  // Entries are kept as the same bytes objects: the tag keys of each are built once, and their
  // current versions looked up again only after some version changed (a hit of a page showing 60
  // rows would otherwise build and look up 60 keys).
  const tagged = new WeakMap<Uint8Array, TaggedEntry>()
  const counters = new Map<string, number>()
  let seq = 0
  /** The log holds every invalidation after this sequence number (see {@link invalidated}). */
  let horizon = 0
  /** The key being logged again: its earlier record leaves the log without moving the horizon. */
  let relogging: string | undefined
  /**
   * The tags invalidated lately (with a version or not: a version here does not tell who made
   * it), with the sequence number of their last invalidation: past LOG_ENTRIES tags the least
   * recently logged are dropped and the horizon moves to them.
   */
  const invalidated = new Lru<number>(LOG_ENTRIES, undefined, (k, at) => {
    if (k !== relogging && at > horizon) horizon = at
  })
  const logInvalidated = (k: string, at: number) => {
    relogging = k
    invalidated.set(k, at, Number.POSITIVE_INFINITY)
    relogging = undefined
  }
  const version = (k: string) => versions.get(k)?.v ?? ''
  const current = (c: VersionCell) => {
    c.used = true
    return c.v
  }
  const stamp = (tagKeys: readonly string[]): string[] =>
    tagKeys.map((k) => {
      const c = cellOf(k)
      if (c.v === '') {
        c.v = String(++seq)
        changes++
      } else c.used = true
      return c.v
    })
  const peek = (key: string, tagPrefix: string): ReadWithTags | undefined => {
    const bytes = lru.get(key)
    if (!bytes) return undefined
    let t = tagged.get(bytes)
    if (t === undefined || t.prefix !== tagPrefix) {
      const cells = envelopeTagNames(bytes).map((name) => cellOf(tagPrefix + name))
      t = { prefix: tagPrefix, cells, changes: -1, versions: [] }
      tagged.set(bytes, t)
    }
    if (t.changes !== changes) {
      t.versions = t.cells.map(current)
      t.changes = changes
    }
    return { bytes, versions: t.versions }
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
      // Bounded like the versions: past maxTags the oldest counters go, and an invalidation of
      // their tags counts the entries stamped since.
      while (counters.size > maxTags) counters.delete(counters.keys().next().value as string)
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
      return stamp(tagKeys)
    },
    async stampTagsClocked(tagKeys, since, check = tagKeys.length) {
      // Versions are the sequence number that created them: the sequence is the clock. None of the
      // checked tags was invalidated after `since` when each had a version created before it or,
      // where the log reaches back that far, the log holds none of them after it.
      const stamped = stamp(tagKeys)
      let predate = since !== undefined
      for (let i = 0; predate && i < check; i++) predate = Number(stamped[i]) <= (since as number)
      if (!predate && since !== undefined && horizon <= since) {
        predate = true
        for (let i = 0; predate && i < check; i++)
          predate = (invalidated.get(tagKeys[i] as string, 0) ?? 0) <= since
      }
      return { versions: stamped, clock: seq, predate }
    },
    async invalidateTags(tagKeys, counterKeys) {
      // A version that exists is replaced by one created now, so `stampTagsClocked` can tell an
      // invalidation before its `since` from one after; a missing one stays missing, and the log
      // tells of both.
      const at = tagKeys.length > 0 ? ++seq : seq
      const token = String(at)
      for (const k of tagKeys) {
        const c = versions.get(k)
        if (c !== undefined && c.v !== '') {
          c.v = token
          changes++
        }
        logInvalidated(k, at)
      }
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
