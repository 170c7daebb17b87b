import { Lru } from '../lru.js'

interface Inflated {
  readonly gzip: Uint8Array
  readonly body: Uint8Array
}

/**
 * Recently inflated bodies, so that clients without gzip do not cost a gunzip on every hit.
 * Looked up by ETag and confirmed by comparing the stored gzip bytes (a memcmp, far cheaper than
 * inflating): equal gzip bytes always inflate to equal bodies, so an entry can never answer for
 * another response, whatever ETag a handler chose. Bounded by entry count and total bytes, least
 * recently used first out; a body over a quarter of the byte budget is not kept.
 */
export class InflatedBodies {
  private readonly byEtag: Lru<Inflated>
  private readonly largest: number

  constructor(maxEntries = 256, maxBytes = 16 * 1024 * 1024) {
    this.byEtag = new Lru(maxEntries, { maxBytes, sizeOf: (_, v) => v.gzip.byteLength + v.body.byteLength })
    this.largest = maxBytes / 4
  }

  /** The inflated body of `gzip`, if it is here. */
  get(etag: string, gzip: Uint8Array): Uint8Array | undefined {
    // Entries never expire (`now` 0): only the bounds evict.
    const e = this.byEtag.get(etag, 0)
    if (e === undefined) return undefined
    // The same bytes object (an L1 or memory-store hit of a record parsed once): nothing to compare.
    if (e.gzip === gzip) return e.body
    if (!Buffer.from(e.gzip.buffer, e.gzip.byteOffset, e.gzip.byteLength).equals(gzip)) return undefined
    return e.body
  }

  /** Keeps an inflated body (bodies over a quarter of the budget are not kept). */
  set(etag: string, gzip: Uint8Array, body: Uint8Array): void {
    if (gzip.byteLength + body.byteLength > this.largest) return
    this.byEtag.set(etag, { gzip, body }, Number.POSITIVE_INFINITY)
  }
}
