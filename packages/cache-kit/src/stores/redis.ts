import { setImmediate } from 'node:timers'
import type { Cluster, Redis } from 'ioredis'
import { type Duration, parseDuration } from '../duration.js'
import { CacheError } from '../errors.js'
import { directMget, directScript } from './direct-commands.js'
import { FirstConnection } from './first-connection.js'
import { randomToken } from './random-token.js'
import { batchedReads } from './redis-reads.js'
import {
  COUNT_ENTRY,
  INVALIDATE_TAGS,
  READ_MANY,
  RELEASE_LEASE,
  SET_COUNTED,
  STAMP_TAGS,
} from './redis-scripts.js'
import type { CacheStore, RowSetStamp, StoreCapabilities } from './store.js'

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis client or `Redis.Cluster`, owned by you (the store never closes it). Recommended:
   * `{ enableOfflineQueue: false, maxRetriesPerRequest: 1, connectTimeout: 1000 }` so nothing queues
   * without bound while Redis is down; once connected, the store also refuses to send while the
   * client is not `ready`. The store batches its own commands, whatever the client's options.
   */
  client: Redis | Cluster
  /**
   * How long calls made before the client's first connection wait for it (then they fail fast with
   * `store_unavailable`, as every call does while a client that was connected reconnects).
   * Default: the client's `connectTimeout` (ioredis default 10 s); `0` never waits.
   */
  connectWait?: Duration
  /**
   * How long a tag version lives after it was created or last invalidated; `false`: forever.
   * Versions are one small key per tag (a row tag per row a cached response showed), so without an
   * expiry they outlive the rows they name. When a version expires, the entries stamped with it
   * read as misses once. Keep it longer than your longest `ttl` plus `grace`. Default `'7d'`.
   */
  tagTtl?: Duration | false
  /**
   * Row sets (single node only): a cached response showing many rows (a list page) is stamped with
   * one row set tag instead of a tag per row, so its hits check one version instead of one per row
   * (see docs/cache-kit.md, *Row sets*). The store indexes each set under its rows; an evicted
   * index would lose an invalidation, so `'auto'` (the default) asks Redis for its
   * `maxmemory-policy` once and keeps row sets only under `noeviction` (indexes expire with the
   * last entry they serve) or a `volatile-*` policy (indexes never expire, since those policies
   * evict only keys that do; a write to the row deletes its index), not when the policy is
   * `allkeys-*` or cannot be read. `true` skips the check (indexes never expire); `false` stamps a
   * tag per row. Whatever it says, this store's invalidations drop the row sets a process with
   * another setting stamped on the same prefix.
   */
  rowSets?: boolean | 'auto'
}

const SUBSCRIBE_TIMEOUT_MS = 5000
/** Where the clock is kept when a caller names none (the manager names one per prefix). */
const DEFAULT_CLOCK = 'hotpath#clock'
/**
 * How long the invalidation log keeps a tag (µs of the clock): a `rows` response whose handler
 * ran longer than this is judged without it (refused when its scope saw a write meanwhile).
 */
const LOG_WINDOW_US = 60_000_000
/** Tags the invalidation log holds at most (about 10 MB): a write storm moves its horizon up instead. */
const LOG_MAX_ENTRIES = 100_000
/** The invalidation log kept beside a clock (see `LOG` in redis-scripts.ts). */
const logKeyOf = (clockKey: string) => `${clockKey}:log`

/**
 * Whether row sets may be stamped (see `RedisStoreOptions.rowSets`), and whether their indexes may
 * expire (only where Redis never evicts: under `noeviction`). With `'auto'`, asked of Redis once
 * (`CONFIG GET maxmemory-policy`; asked again after a failure while the client was not ready).
 */
function rowSetPolicy(
  client: Redis | Cluster,
  option: boolean | 'auto' | undefined,
): () => Promise<{ use: boolean; expire: boolean }> {
  if (option === true || option === false) {
    const fixed = { use: option, expire: false }
    return async () => fixed
  }
  let asked: Promise<{ use: boolean; expire: boolean }> | undefined
  return () => {
    asked ??= (client.call('CONFIG', 'GET', 'maxmemory-policy') as Promise<string[]>).then(
      (r) => ({ use: r[1] !== undefined && !r[1].startsWith('allkeys'), expire: r[1] === 'noeviction' }),
      () => {
        // CONFIG may be renamed or refused (managed Redis): without the policy, no row sets.
        if (client.status !== 'ready') asked = undefined
        return { use: false, expire: false }
      },
    )
    return asked
  }
}

function readyWithin(client: Redis | Cluster, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      client.off('ready', onReady)
      reject(new CacheError('timeout', `bus subscriber not ready within ${ms} ms`))
    }, ms)
    const onReady = () => {
      clearTimeout(timer)
      resolve()
    }
    client.once('ready', onReady)
  })
}

type Scripted = {
  hotpathReadManyBuffer(...args: (string | number | Buffer)[]): Promise<unknown[]>
  hotpathSet(...args: (string | Buffer | number)[]): Promise<number>
  hotpathInvalidate(...args: (string | Buffer | number)[]): Promise<number>
  hotpathStamp(...args: (string | Buffer | number)[]): Promise<string[]>
  hotpathRelease(key: string, token: string): Promise<number>
  hotpathCount(key: string, ttlMs: string): Promise<number>
}

function defineScripts(client: Redis | Cluster): void {
  const c = client as Redis & Partial<Scripted>
  if (typeof c.hotpathReadManyBuffer === 'function') return
  c.defineCommand('hotpathReadMany', { lua: READ_MANY })
  c.defineCommand('hotpathSet', { lua: SET_COUNTED })
  c.defineCommand('hotpathInvalidate', { lua: INVALIDATE_TAGS })
  c.defineCommand('hotpathStamp', { lua: STAMP_TAGS })
  c.defineCommand('hotpathRelease', { numberOfKeys: 1, lua: RELEASE_LEASE })
  c.defineCommand('hotpathCount', { numberOfKeys: 1, lua: COUNT_ENTRY })
}

/** What the single-node store sends through: one socket write per event-loop turn. */
interface PhaseWrites {
  /** Holds the client's socket writes until the end of this turn's I/O phase. */
  hold(): void
  /** Runs `fn` at the end of this turn's I/O phase, before the held writes go out. */
  defer(fn: () => void): void
}

/**
 * Holds a single-node client's socket writes until the end of the event loop's I/O phase (cork,
 * then uncork in a `setImmediate`), so the commands of every request that phase woke leave in one
 * write, whatever the client's options. A per-tick flush (`process.nextTick`) writes once per
 * request instead: Node runs each socket's callback, and the ticks after it, before the next
 * socket's. (ioredis auto-pipelining also waits for a `setImmediate`, but only for the commands
 * it sends itself, in a write of its own.) `setImmediate` comes from `node:timers`, so a test's
 * fake timers (which patch the global) do not stop the store.
 */
function writesPerPhase(client: Redis): PhaseWrites {
  let held: { cork(): void; uncork(): void } | undefined
  let deferred: (() => void)[] = []
  let scheduled = false
  const release = () => {
    const socket = held
    held = undefined
    socket?.uncork()
  }
  const flush = () => {
    scheduled = false
    const fns = deferred
    deferred = []
    for (const fn of fns) fn()
    // A tick later: a command an ioredis auto-pipeline queued meanwhile is written on that tick.
    if (held) process.nextTick(release)
  }
  const schedule = () => {
    if (scheduled) return
    scheduled = true
    setImmediate(flush)
  }
  return {
    hold() {
      if (held) return
      const socket = (client as { stream?: { cork?(): void; uncork?(): void } }).stream
      if (typeof socket?.cork !== 'function' || typeof socket.uncork !== 'function') return
      socket.cork()
      held = socket as { cork(): void; uncork(): void }
      schedule()
    },
    defer(fn) {
      deferred.push(fn)
      schedule()
    },
  }
}

/** The client's own connect timeout: the default bound of the first-connection wait. */
function connectTimeoutOf(client: Redis | Cluster, cluster: boolean): number {
  const o = cluster ? (client as Cluster).options.redisOptions : (client as Redis).options
  return o?.connectTimeout ?? 10_000
}

/**
 * Store on ioredis, single node or Cluster. Single node: the reads of one I/O phase go out together
 * (see `batchedReads`), each hit with its tags' current versions, so concurrent reads cost one or
 * two commands whatever the client's options; tag invalidation is one script (DEL per tag).
 * Cluster: keys spread over slots, so a tagged hit reads its tag versions in a second round trip
 * (use `l1` to avoid it) and `keys` scans every master. Calls made before a fresh client's first
 * connection wait for it, up to `connectWait`.
 */
export function redisStore(options: RedisStoreOptions): CacheStore {
  const client = options.client
  const cluster = (client as { isCluster?: boolean }).isCluster === true
  defineScripts(client)
  const scripted = client as unknown as Scripted
  const capabilities: StoreCapabilities = {
    shared: true,
    readWithTags: !cluster,
    leaseOnMiss: !cluster,
    stampOnMiss: !cluster,
    atomicTags: true,
    atomicInvalidation: !cluster,
    publishOnSet: !cluster,
    releaseOnSet: !cluster,
    // Whatever `options.rowSets` says, invalidations drop the row sets others stamped (see there).
    rowSets: !cluster,
    scan: true,
    locks: true,
    pubsub: true,
  }
  // Sending while disconnected would either queue in ioredis (unbounded) or wait for a reconnect;
  // refusing up front makes a dead Redis cost nothing.
  const unavailable = () => new CacheError('store_unavailable', `redis client is ${client.status}, not ready`)
  const phase = cluster ? undefined : writesPerPhase(client as Redis)
  const hold = phase ? () => phase.hold() : () => {}
  const ready = () => {
    if (client.status !== 'ready') throw unavailable()
    hold()
  }
  const px = (ms: number) => Math.max(1, Math.ceil(ms))
  const tagTtl = options.tagTtl === false ? undefined : parseDuration(options.tagTtl ?? '7d')
  if (tagTtl !== undefined && !(tagTtl > 0))
    throw new CacheError('invalid_option', 'redisStore: `tagTtl` must be a positive duration or false')
  /** The version keys' expiry as the scripts take it: milliseconds, or `0` for none. */
  const tagPx = tagTtl === undefined ? '0' : String(px(tagTtl))
  const withExpiry: readonly string[] = tagTtl === undefined ? [] : ['PX', tagPx]
  // Single node: the scripts go out as they are, whatever the client's options (see direct-commands.ts).
  const node = client as Redis
  const direct = cluster
    ? undefined
    : {
        mget: directMget(node),
        set: directScript<number>(node, SET_COUNTED, (...a) => scripted.hotpathSet(...a)),
        stamp: directScript<string[]>(node, STAMP_TAGS, (...a) => scripted.hotpathStamp(...a), 'utf8'),
        invalidate: directScript<number>(node, INVALIDATE_TAGS, (...a) => scripted.hotpathInvalidate(...a)),
      }
  const first = new FirstConnection(
    client,
    options.connectWait === undefined
      ? connectTimeoutOf(client, cluster)
      : parseDuration(options.connectWait),
  )
  const rowSetPolicyOf = rowSetPolicy(client, options.rowSets)
  // Single node: the stamp script answers the versions (the tags', then the row sets'), then the
  // clock and whether the first `check` versions predate `since` (see STAMP_TAGS). One token per
  // call is enough: a version is only compared with itself, and every call's token is new.
  const stampClocked =
    direct &&
    (async (
      tagKeys: readonly string[],
      since?: number,
      check = tagKeys.length,
      clockKey = DEFAULT_CLOCK,
      rowSets?: RowSetStamp,
    ) => {
      const token = randomToken()
      const policy = rowSets && rowSets.sets.length > 0 ? await rowSetPolicyOf() : undefined
      const sets = policy?.use ? rowSets : undefined
      const setKeys = sets ? sets.sets.flatMap((x) => [x.key, ...x.index]) : []
      const setArgs = sets
        ? [
            String(tagKeys.length),
            String(px(sets.ttlMs)),
            policy?.expire ? '1' : '0',
            String(sets.guard?.length ?? 0),
            ...(sets.guard ?? []),
            ...sets.sets.map((x) => String(x.index.length)),
          ]
        : []
      const r = await direct.stamp(
        String(tagKeys.length + setKeys.length + 2),
        ...tagKeys,
        ...setKeys,
        clockKey,
        logKeyOf(clockKey),
        token,
        String(since ?? -1),
        String(check),
        tagPx,
        ...setArgs,
      )
      const n = tagKeys.length
      const clock = Number(r[r.length - 2])
      const predate = r[r.length - 1] === '1'
      const versions = r.slice(0, n)
      // No set versions where the guard moved: the sets were not stamped.
      return sets && r.length > n + 2
        ? { versions, clock, predate, sets: r.slice(n, -2) }
        : { versions, clock, predate }
    })
  const store: CacheStore = {
    name: cluster ? 'redis-cluster' : 'redis',
    capabilities,
    connecting: () => first.wait(),
    async get(key) {
      ready()
      return (await client.getBuffer(key)) ?? undefined
    },
    async set(key, bytes, ttlMs, counters, publish, release) {
      ready()
      const value = Buffer.isBuffer(bytes)
        ? bytes
        : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
      // A plain SET unless there is something to do beside it: counters, the bus message, a lease.
      if (direct && (publish || release || counters.length > 0)) {
        const bus = publish ? [publish.channel, publish.message] : []
        const lease = release ? [release.key] : []
        await direct.set(
          String(1 + counters.length + lease.length),
          key,
          ...counters,
          ...lease,
          value,
          String(px(ttlMs)),
          release?.token ?? '',
          ...bus,
        )
      } else if (counters.length === 0) await client.set(key, value, 'PX', px(ttlMs))
      else
        await Promise.all([
          client.set(key, value, 'PX', px(ttlMs)),
          ...counters.map((c) => scripted.hotpathCount(c, String(px(ttlMs)))),
        ])
    },
    async delete(keys) {
      ready()
      if (keys.length === 0) return 0
      if (!cluster) return client.unlink(...keys)
      const n = await Promise.all(keys.map((k) => client.unlink(k)))
      return n.reduce((a, b) => a + b, 0)
    },
    async tagVersions(tagKeys) {
      ready()
      if (tagKeys.length === 0) return []
      if (direct) return (await direct.mget([...tagKeys])).map((x) => (x ? x.toString('latin1') : ''))
      return (await Promise.all(tagKeys.map((k) => client.get(k)))).map((x) => x ?? '')
    },
    async stampTags(tagKeys) {
      ready()
      if (tagKeys.length === 0) return []
      // SET NX GET: the existing version, or the fresh token this call just stored.
      if (stampClocked) return (await stampClocked(tagKeys)).versions
      const token = randomToken()
      // One key per command (the keys live in different slots); they go out together.
      return Promise.all(
        tagKeys.map(
          async (k) =>
            ((await client.call('SET', k, token, 'NX', 'GET', ...withExpiry)) as string | null) ?? token,
        ),
      )
    },
    async invalidateTags(tagKeys, counterKeys, clockKey = DEFAULT_CLOCK, indexKeys = []) {
      ready()
      if (direct)
        return direct.invalidate(
          String(tagKeys.length + counterKeys.length + indexKeys.length + 2),
          ...tagKeys,
          ...counterKeys,
          ...indexKeys,
          clockKey,
          logKeyOf(clockKey),
          String(tagKeys.length),
          randomToken(),
          tagPx,
          String(LOG_WINDOW_US),
          String(LOG_MAX_ENTRIES),
          String(indexKeys.length),
        )
      const [, counts] = await Promise.all([
        Promise.all(tagKeys.map((k) => client.unlink(k))),
        Promise.all(counterKeys.map((k) => client.getdel(k))),
      ])
      return counts.reduce((sum, c) => sum + Number(c ?? 0), 0)
    },
    async *keys(glob) {
      ready()
      const nodes: Redis[] = cluster ? (client as Cluster).nodes('master') : [client as Redis]
      for (const node of nodes) {
        let cursor = '0'
        do {
          const [next, batch] = await node.scan(cursor, 'MATCH', glob, 'COUNT', 1000)
          cursor = next
          if (batch.length) yield batch
        } while (cursor !== '0')
      }
    },
    async acquire(key, token, ttlMs) {
      ready()
      return (await client.set(key, token, 'PX', px(ttlMs), 'NX')) === 'OK'
    },
    async release(key, token) {
      ready()
      await scripted.hotpathRelease(key, token)
    },
    async publish(channel, message) {
      ready()
      await client.publish(channel, message)
    },
    async subscribe(channel, onMessage, onResync) {
      const sub = client.duplicate()
      sub.on('error', () => {})
      let listening = false
      // ioredis resubscribes by itself after a reconnect; what was published meanwhile is gone.
      sub.on('ready', () => {
        if (listening) onResync?.()
      })
      sub.on('message', (ch: string, msg: string) => {
        if (ch === channel) onMessage(msg)
      })
      try {
        if (sub.status !== 'ready') await readyWithin(sub, SUBSCRIBE_TIMEOUT_MS)
        await sub.subscribe(channel)
        listening = true
      } catch (err) {
        sub.disconnect()
        throw err
      }
      return async () => {
        sub.disconnect()
      }
    },
  }
  if (stampClocked)
    store.stampTagsClocked = (tagKeys, since, check, clockKey, rowSets) => {
      ready()
      return stampClocked(tagKeys, since, check, clockKey, rowSets)
    }
  if (phase) {
    const read = batchedReads(
      client as Redis,
      scripted.hotpathReadManyBuffer.bind(client),
      px,
      phase.defer,
      tagPx,
    )
    store.getWithTagVersions = (key, tagPrefix, lease) => {
      // Not held: the phase's reads are one command already, sent at its end before the held writes.
      if (client.status !== 'ready') return Promise.reject(unavailable())
      return read(key, tagPrefix, lease)
    }
  }
  return store
}
