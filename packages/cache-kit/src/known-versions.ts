import { Lru } from './lru.js'

/**
 * Tag versions kept in process, where the store cannot read them with the entry (Cluster, Keyv)
 * and a bus tells this process about other processes' invalidations: a tagged hit then still
 * costs one round trip. Bounded like L1; dropped per tag by the bus, whole on a resync.
 */
export class KnownVersions {
  private readonly versions: Lru<string>
  /** Bumped by every forget: a version fetched across a forget is not kept (it may predate it). */
  epoch = 0

  constructor(
    maxEntries: number,
    /** Belt and braces against a lost bus message: how long a version is trusted, ms. */
    private readonly ttlMs: number,
  ) {
    this.versions = new Lru(maxEntries)
  }

  /** The kept versions of every tag in `tags`, or `undefined` if one is not known. */
  lookup(tags: readonly string[]): string[] | undefined {
    const now = Date.now()
    const out: string[] = []
    for (const t of tags) {
      const v = this.versions.get(t, now)
      if (v === undefined) return undefined
      out.push(v)
    }
    return out
  }

  /** Keeps versions fetched while the epoch was `epoch` (none if something was forgotten since). */
  remember(epoch: number, tags: readonly string[], versions: readonly string[]): void {
    if (epoch !== this.epoch) return
    const until = Date.now() + this.ttlMs
    // A missing version is not remembered: the next writer creates one.
    for (let i = 0; i < tags.length; i++)
      if (versions[i]) this.versions.set(tags[i] as string, versions[i] as string, until)
  }

  /** Forgets `tags` (they were just invalidated), or every tag without an argument. */
  forget(tags?: readonly string[]): void {
    this.epoch++
    if (tags) for (const t of tags) this.versions.delete(t)
    else this.versions.clear()
  }
}
