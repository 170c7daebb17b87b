import { type DecodedEntry, decodePayload } from './entry-codec.js'
import { type Envelope, readEnvelope } from './envelope.js'
import { CacheError } from './errors.js'
import { escapeGlob } from './glob.js'
import { KnownVersions } from './known-versions.js'
import { type GaveUp, Leases } from './leases.js'
import type { ResolvedOptions } from './options.js'
import { deserialize } from './payload.js'
import { FAILED, PendingInvalidations } from './pending-invalidations.js'
import { type FailureReport, RemoteGuard } from './remote.js'
import { counterTagOf, isRowTag } from './row-tags.js'
import { tierStats } from './stats.js'
import type { CacheStore, LeaseOutcome, LeaseRequest, ReadWithTags, RowSetStamp } from './stores/store.js'

export { FAILED }
/** `peek` could not answer synchronously: use `read`. */
export const SLOW: unique symbol = Symbol('slow')

/** A usable entry read from the store. */
export type Remote = DecodedEntry & { stale: boolean }

/** What a store read comes back with: an entry, a lease outcome on a miss, a miss, or a failure. */
export type RemoteRead = Remote | LeaseOutcome | undefined | typeof FAILED

/** Whether an entry's tag stamps are exactly `versions` (same order). */
function stampedWith(tags: readonly { version: string }[], versions: readonly string[]): boolean {
  for (let i = 0; i < tags.length; i++)
    if (versions[i] !== (tags[i] as { version: string }).version) return false
  return true
}

/** Row sets to stamp (see `CacheStore.stampTagsClocked`): each set's tag and the row tags it stands for. */
export interface RowSets {
  readonly sets: readonly { readonly tag: string; readonly rows: readonly string[] }[]
  /** The life of the entry to be stamped (ttl plus grace). */
  readonly ttlMs: number
  /** See `RowSetStamp.guard`. */
  readonly guard?: readonly string[]
}

/** What the store side tells its manager. */
export interface L2Hooks {
  /** A store call failed (counted and emitted by the manager). */
  report: FailureReport
  /** An entry could not be decoded (it was deleted and reads as a miss). */
  corrupt: (error: CacheError, key: string) => void
  /** Invalidations that had failed went through once the store was back. */
  replayed: (tags: readonly string[], keys: readonly string[]) => void
}

/**
 * The store side of a manager (L2): key layout, every call behind the timeout and circuit breaker,
 * envelope decoding, and the tag-version check on read.
 *
 * Keys: entries `<prefix>:<key>`, tag versions `<prefix>#t:<tag>`, per-tag entry counters
 * `<prefix>#n:<tag>`, row set indexes `<prefix>#x:<row tag>`, leases `<prefix>#l:<key>`, bus
 * channel `<prefix>#bus`.
 */
export class L2Tier {
  readonly stats = tierStats()
  readonly guard: RemoteGuard
  readonly store: CacheStore
  readonly channel: string
  readonly leases: Leases
  private readonly keyPrefix: string
  private readonly tagPrefix: string
  /** Where the store keeps its clock (see `CacheStore.stampTagsClocked`). */
  private readonly clockKey: string
  /**
   * Whether row sets are stamped where asked: the store keeps them, and no L1 copy relies on the
   * bus alone (an L1 entry is indexed by its own tags, so a row invalidation heard on the bus would
   * miss one stamped with a set; under strict consistency every L1 hit checks the store).
   */
  readonly rowSets: boolean
  /** Tag versions kept in process (Cluster or Keyv with L1 and a bus); see {@link KnownVersions}. */
  private readonly known: KnownVersions | undefined
  private readonly pending = new PendingInvalidations()
  /**
   * An in-process store (not `shared`) returns the same bytes object for an entry on every read:
   * each is decoded once. JSON values are still parsed per read (callers get their own copy).
   */
  private readonly decoded: WeakMap<Uint8Array, DecodedEntry> | undefined
  /** Versions arrays `peek` found an envelope stamped with (see {@link peek}). */
  private readonly matched = new WeakMap<readonly string[], object>()

  constructor(
    private readonly options: ResolvedOptions,
    private readonly hooks: L2Hooks,
  ) {
    this.store = options.store
    this.keyPrefix = `${options.prefix}:`
    this.tagPrefix = `${options.prefix}#t:`
    this.channel = `${options.prefix}#bus`
    this.clockKey = `${options.prefix}#clock`
    this.rowSets = options.store.capabilities.rowSets === true && (!options.l1 || options.strict)
    const connecting = options.store.connecting?.bind(options.store) ?? (() => undefined)
    this.guard = new RemoteGuard(
      options.timeout,
      options.breaker,
      this.stats,
      hooks.report,
      () => this.replay(),
      connecting,
    )
    this.leases = new Leases(options.store, this.guard, options.prefix)
    this.decoded = options.store.capabilities.shared ? undefined : new WeakMap()
    const keepVersions = options.bus && options.l1 && !options.store.capabilities.readWithTags
    // No kept version outlives a minute (or L1's ttl), in case a bus message was lost.
    this.known = keepVersions
      ? new KnownVersions(Math.max(1000, options.l1!.maxEntries), Math.min(options.l1?.ttl ?? 0, 60_000))
      : undefined
  }

  /** Forgets cached versions of `tags` (they were just invalidated). */
  forgetTags(tags: readonly string[]): void {
    this.known?.forget(tags)
  }

  /** Forgets every cached version (the bus may have missed invalidations). */
  forgetAllTags(): void {
    this.known?.forget()
  }

  /** The entry counters of `tags`, each once (row tags share their scope's; see {@link counterTagOf}). */
  private counterKeys(tags: readonly string[]): string[] {
    const names = new Set<string>()
    for (const t of tags) {
      const c = counterTagOf(t)
      if (c !== undefined) names.add(c)
    }
    return Array.from(names, (c) => `${this.options.prefix}#n:${c}`)
  }

  /** Whether `peek` may answer (an in-process store with a synchronous read). */
  get canPeek(): boolean {
    return this.decoded !== undefined && this.store.peek !== undefined
  }

  /**
   * `read` without a promise, for an in-process store whose entry was decoded before (the usual
   * hit); `SLOW` when it cannot answer that way (first read of an entry, store error).
   */
  peek(key: string): Remote | undefined | typeof SLOW {
    let r: ReadWithTags | undefined
    try {
      r = this.store.peek?.(this.keyPrefix + key, this.tagPrefix)
    } catch {
      return SLOW
    }
    if (!r) return undefined
    let d = this.decoded?.get(r.bytes)
    if (d === undefined) return SLOW
    const env = d.envelope
    const now = Date.now()
    if (now >= env.graceUntil) return undefined
    // An in-process store hands back the same versions array until a version changes.
    if (this.matched.get(r.versions) !== env) {
      if (!stampedWith(env.tags, r.versions)) return undefined
      this.matched.set(r.versions, env)
    }
    if (this.pending.covers(key, env.tags)) return undefined
    if (env.kind === 'json') d = { ...d, value: deserialize('json', d.plain) }
    return { envelope: env, value: d.value, plain: d.plain, stale: now >= env.expiresAt }
  }

  /** Reads and decodes an entry; a corrupt one is deleted and reads as a miss, an invalidated one too. */
  async read(key: string, failOpen: boolean, lease?: LeaseRequest): Promise<RemoteRead> {
    const full = this.keyPrefix + key
    const store = this.store
    let bytes: Uint8Array | undefined
    let versions: readonly string[] | undefined
    if (store.getWithTagVersions) {
      const gaveUp: GaveUp = { value: false }
      const r = await this.guard.call(
        'get',
        key,
        () => {
          const reply = store.getWithTagVersions!(full, this.tagPrefix, lease)
          if (lease)
            this.leases.releaseIfLate(
              reply,
              gaveUp,
              key,
              lease.token,
              (x) => !!x && 'leased' in x && x.leased,
            )
          return reply
        },
        failOpen,
        FAILED,
      )
      gaveUp.value = r === FAILED
      if (r === FAILED) return FAILED
      if (r && 'leased' in r) return r
      bytes = r?.bytes
      versions = r?.versions
    } else {
      const r = await this.guard.call('get', key, () => store.get(full), failOpen, FAILED)
      if (r === FAILED) return FAILED
      bytes = r
    }
    if (!bytes) return undefined
    let d = this.decoded?.get(bytes)
    let env: Envelope
    if (d) env = d.envelope
    else
      try {
        env = readEnvelope(bytes)
      } catch (err) {
        return this.corrupt(err, key, full)
      }
    const now = Date.now()
    if (now >= env.graceUntil) return undefined
    // The header is checked before the payload is parsed: an invalidated entry costs no parse.
    if (env.tags.length) {
      if (!versions) {
        const names = env.tags.map((t) => t.name)
        // A known version that does not match may just be older than the entry: ask the store.
        // Strict reads never trust versions kept in process: a bus message may still be on its way.
        const known = this.options.strict ? undefined : this.known?.lookup(names)
        if (known && stampedWith(env.tags, known)) versions = known
        else versions = await this.tagVersions(names, failOpen)
      }
      if (!versions) return FAILED
      if (!stampedWith(env.tags, versions)) return undefined
    }
    if (this.pending.covers(key, env.tags)) return undefined
    if (d === undefined) {
      try {
        const decoded = decodePayload(env, this.options)
        d = decoded instanceof Promise ? await decoded : decoded
      } catch (err) {
        return this.corrupt(err, key, full)
      }
      // A JSON value is not kept (each read parses its own copy); its plain bytes are.
      this.decoded?.set(bytes, d.envelope.kind === 'json' ? { ...d, value: undefined } : d)
    } else if (env.kind === 'json') d = { ...d, value: deserialize('json', d.plain) }
    return { envelope: env, value: d.value, plain: d.plain, stale: now >= env.expiresAt }
  }

  /** Reports an entry that cannot be decoded and deletes it: it reads as a miss. */
  private async corrupt(err: unknown, key: string, full: string): Promise<undefined> {
    this.hooks.corrupt(err instanceof CacheError ? err : new CacheError('corrupt_entry', String(err)), key)
    await this.guard.call('delete', key, () => this.store.delete([full]), true, 0)
    return undefined
  }

  /** Current versions of `tags` (`''` where a tag has none); `undefined` when the store failed. */
  tagVersions(tags: readonly string[], failOpen: boolean): Promise<readonly string[] | undefined> {
    return this.versionsOf('tagVersions', tags, failOpen)
  }

  /**
   * What a lease request adds to have `tags` stamped by the read itself if it misses (see
   * `LeaseRequest.stamp`), where the store can; `undefined` otherwise (then stamp after the read).
   */
  stampOnMiss(tags: readonly string[] | undefined): LeaseRequest['stamp'] {
    if (!tags || tags.length === 0 || this.store.capabilities.stampOnMiss !== true) return undefined
    return { tags, clockKey: this.clockKey }
  }

  /** Versions to stamp a new entry with, created where missing; `undefined` when the store failed. */
  async stampTags(tags: readonly string[], failOpen: boolean): Promise<readonly string[] | undefined> {
    // Where the store keeps a clock, every version it creates must take a tick of this prefix's.
    if (tags.length === 0) return []
    if (!this.store.stampTagsClocked) return this.versionsOf('stampTags', tags, failOpen)
    return (await this.stampTagsClocked(tags, failOpen))?.versions
  }

  /**
   * `stampTags` with the store's clock, where the store keeps one (see `CacheStore.stampTagsClocked`);
   * without, `predate` is `false` and `clock` absent. With `rowSets`, where this tier stamps them
   * ({@link rowSets}), their versions too (`sets`). `undefined` when the store failed.
   */
  async stampTagsClocked(
    tags: readonly string[],
    failOpen: boolean,
    since?: number,
    check?: number,
    rowSets?: RowSets,
  ): Promise<
    { versions: readonly string[]; clock?: number; predate: boolean; sets?: readonly string[] } | undefined
  > {
    const clocked = this.store.stampTagsClocked?.bind(this.store)
    if (!clocked) {
      const versions = await this.versionsOf('stampTags', tags, failOpen)
      return versions && { versions, predate: false }
    }
    const epoch = this.known?.epoch ?? 0
    const keys = tags.map((t) => this.tagPrefix + t)
    const sets: RowSetStamp | undefined =
      rowSets && this.rowSets
        ? {
            sets: rowSets.sets.map((x) => ({
              key: this.tagPrefix + x.tag,
              index: x.rows.map(this.indexKey),
            })),
            ttlMs: rowSets.ttlMs,
            ...(rowSets.guard ? { guard: rowSets.guard } : {}),
          }
        : undefined
    const r = await this.guard.call(
      'stampTags',
      undefined,
      () => clocked(keys, since, check, this.clockKey, sets),
      failOpen,
      undefined,
    )
    if (r) this.known?.remember(epoch, tags, r.versions)
    return r
  }

  private async versionsOf(
    op: 'tagVersions' | 'stampTags',
    tags: readonly string[],
    failOpen: boolean,
  ): Promise<readonly string[] | undefined> {
    if (tags.length === 0) return []
    const epoch = this.known?.epoch ?? 0
    const keys = tags.map((t) => this.tagPrefix + t)
    const v = await this.guard.call(op, undefined, () => this.store[op](keys), failOpen, undefined)
    if (v) this.known?.remember(epoch, tags, v)
    return v
  }

  /**
   * Writes an entry; `message` is the bus message to publish once written, sent in the same round
   * trip where the store can (`publishOnSet`), else on its own after the write. `lease` (this key's
   * lease token) is released in that round trip where the store can (`releaseOnSet`): resolves
   * whether it was, else the caller still holds it.
   */
  async write(
    key: string,
    bytes: Uint8Array,
    ttlMs: number,
    tags: readonly string[],
    failOpen: boolean,
    message?: string,
    lease?: string,
  ): Promise<boolean> {
    const counters = this.counterKeys(tags)
    const capabilities = this.store.capabilities
    const along = message !== undefined && capabilities.publishOnSet === true
    const publish = along ? { channel: this.channel, message } : undefined
    const release =
      lease !== undefined && capabilities.releaseOnSet === true
        ? { key: this.leases.key(key), token: lease }
        : undefined
    const stored = await this.guard.call(
      'set',
      key,
      () => this.store.set(this.keyPrefix + key, bytes, ttlMs, counters, publish, release).then(() => true),
      failOpen,
      false,
    )
    this.stats.sets++
    if (message !== undefined && !along) this.publish(message)
    return stored && release !== undefined
  }

  async delete(keys: readonly string[], failOpen: boolean): Promise<number> {
    const full = keys.map((k) => this.keyPrefix + k)
    const n = await this.pending.remembering('keys', keys, this.hooks.report, () =>
      this.guard.call('delete', keys[0], () => this.store.delete(full), failOpen, FAILED),
    )
    if (n === FAILED) return 0
    this.stats.deletes += n
    return n
  }

  /** Replays failed invalidations after a store call succeeded (see {@link PendingInvalidations.replay}). */
  private replay(): void {
    this.pending.replay({
      invalidateTags: (tags) => {
        this.forgetTags(tags)
        return this.guard.call('invalidateTags', undefined, () => this.invalidateRaw(tags), true, FAILED)
      },
      deleteKeys: (keys) => {
        const full = keys.map((k) => this.keyPrefix + k)
        return this.guard.call('delete', undefined, () => this.store.delete(full), true, FAILED)
      },
      replayed: this.hooks.replayed,
    })
  }

  /** Where the store indexes the row sets showing a row (see {@link RowSets}). */
  private readonly indexKey = (rowTag: string): string => `${this.options.prefix}#x:${rowTag}`

  /** Invalidates `tags` in the store, with the row set indexes of its row tags where the store keeps them. */
  private invalidateRaw(tags: readonly string[]): Promise<number> {
    const versions = tags.map((t) => this.tagPrefix + t)
    const counters = this.counterKeys(tags)
    if (this.store.capabilities.rowSets !== true)
      return this.store.invalidateTags(versions, counters, this.clockKey)
    const indexes = tags.filter(isRowTag).map(this.indexKey)
    return this.store.invalidateTags(versions, counters, this.clockKey, indexes)
  }

  async invalidateTags(tags: readonly string[], failOpen: boolean): Promise<number> {
    this.forgetTags(tags)
    try {
      const n = await this.pending.remembering('tags', tags, this.hooks.report, () =>
        this.guard.call('invalidateTags', undefined, () => this.invalidateRaw(tags), failOpen, FAILED),
      )
      return n === FAILED ? 0 : n
    } finally {
      // Again once bumped: a read that fetched the old version meanwhile must not keep it.
      this.forgetTags(tags)
    }
  }

  /** SCANs `escape(prefix):glob` and deletes what it finds, batch by batch; each step has its own timeout. */
  async deleteMatching(glob: string, failOpen: boolean): Promise<number> {
    const list = this.store.keys?.bind(this.store)
    if (!list) throw new CacheError('unsupported', `store ${this.store.name} cannot list keys`)
    const it = list(escapeGlob(this.keyPrefix) + glob)[Symbol.asyncIterator]()
    const slow = Math.max(this.options.timeout ?? 0, 1000)
    let n = 0
    for (;;) {
      const step = await this.guard.call('scan', undefined, () => it.next(), failOpen, undefined, slow)
      if (!step || step.done) break
      const batch = step.value
      n += await this.guard.call('delete', undefined, () => this.store.delete(batch), failOpen, 0, slow)
    }
    this.stats.deletes += n
    return n
  }

  publish(text: string): void {
    void this.guard.call('publish', undefined, () => this.store.publish!(this.channel, text), true, undefined)
  }
}
