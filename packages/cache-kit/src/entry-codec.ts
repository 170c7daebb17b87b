import type { CacheCodec } from './codec.js'
import { type EntryMeta, type Envelope, type PayloadKind, writeEnvelope } from './envelope.js'
import { deserialize, inflate, serialize } from './payload.js'

/** Settings the entry codec needs from the manager. */
export interface EntryCodecSettings {
  readonly codec: CacheCodec
  readonly compressThreshold: number
  readonly maxValueBytes: number
  readonly maxDecompressedBytes: number
}

/** A value ready to store, with its serialised form kept so followers can get copies of it. */
export interface EncodedEntry {
  readonly bytes: Uint8Array
  readonly kind: PayloadKind
  readonly plain: Uint8Array
}

/** Serialises, compresses past the threshold (unless `compress` is false) and wraps in the envelope; `undefined` when oversized. */
export async function encodeEntry(
  value: unknown,
  meta: EntryMeta,
  compress: boolean | undefined,
  s: EntryCodecSettings,
): Promise<EncodedEntry | undefined> {
  const { kind, bytes: plain } = serialize(value)
  if (plain.byteLength > s.maxValueBytes) return undefined
  const gzip = compress !== false && plain.byteLength >= s.compressThreshold
  const payload = gzip ? await s.codec.gzip(plain) : plain
  return { bytes: writeEnvelope(meta, kind, gzip, payload), kind, plain }
}

/** A stored entry read back: header, decoded value and its plain serialised bytes. */
export interface DecodedEntry {
  readonly envelope: Envelope
  readonly value: unknown
  readonly plain: Uint8Array
}

/**
 * The value of an envelope read back with `readEnvelope` (a reader checks the header, expiry and
 * tag stamps, before paying for the payload); throws (or rejects with) `CacheError`
 * (`corrupt_entry`, `decompressed_too_large`) on bad input. Synchronous unless the payload is
 * gzipped, so a small entry's hit waits for no extra promise.
 */
export function decodePayload(
  envelope: Envelope,
  s: EntryCodecSettings,
): DecodedEntry | Promise<DecodedEntry> {
  if (!envelope.gzip)
    return { envelope, value: deserialize(envelope.kind, envelope.payload), plain: envelope.payload }
  return inflate(envelope.payload, true, s.codec, s.maxDecompressedBytes).then((plain) => ({
    envelope,
    value: deserialize(envelope.kind, plain),
    plain,
  }))
}
