/**
 * Recently inflated bodies, so that clients without gzip do not cost a gunzip on every hit.
 * Looked up by ETag and confirmed by comparing the stored gzip bytes (a memcmp, far cheaper than
 * inflating): equal gzip bytes always inflate to equal bodies, so an entry can never answer for
 * another response, whatever ETag a handler chose. Bounded by entry count and total bytes; the
 * oldest entry goes first.
 */
export class InflatedBodies {
  private readonly byEtag = new Map<string, { gzip: Uint8Array; body: Uint8Array }>()
  private bytes = 0

  constructor(
    private readonly maxEntries = 256,
    private readonly maxBytes = 16 * 1024 * 1024,
  ) {}

  /** The inflated body of `gzip`, if it is here. */
  get(etag: string, gzip: Uint8Array): Uint8Array | undefined {
    const e = this.byEtag.get(etag)
    if (e === undefined) return undefined
    // The same bytes object (an L1 or memory-store hit of a record parsed once): nothing to compare.
    if (e.gzip === gzip) return e.body
    if (!Buffer.from(e.gzip.buffer, e.gzip.byteOffset, e.gzip.byteLength).equals(gzip)) return undefined
    return e.body
  }

  /** Keeps an inflated body (bodies over a quarter of the budget are not kept). */
  set(etag: string, gzip: Uint8Array, body: Uint8Array): void {
    const size = gzip.byteLength + body.byteLength
    if (size > this.maxBytes / 4) return
    const old = this.byEtag.get(etag)
    if (old) {
      this.bytes -= old.gzip.byteLength + old.body.byteLength
      this.byEtag.delete(etag)
    }
    this.byEtag.set(etag, { gzip, body })
    this.bytes += size
    for (const [k, v] of this.byEtag) {
      if (this.byEtag.size <= this.maxEntries && this.bytes <= this.maxBytes) break
      this.byEtag.delete(k)
      this.bytes -= v.gzip.byteLength + v.body.byteLength
    }
  }
}
