import { CacheError } from './errors.js'

/**
 * The binary envelope every entry is stored in (raw bytes, no base64):
 *
 * | offset | size | field                                                   |
 * | ------ | ---- | ------------------------------------------------------- |
 * | 0      | 1    | magic `0xC7`                                            |
 * | 1      | 1    | format version (`1`)                                    |
 * | 2      | 1    | flags: bit 0 gzip, bits 1–2 payload kind (0 JSON, 1 bytes) |
 * | 3      | 1    | tag count (≤ 255)                                       |
 * | 4      | 8    | storedAt, epoch ms (float64 BE)                         |
 * | 12     | 8    | expiresAt (end of ttl)                                  |
 * | 20     | 8    | graceUntil (end of grace; the store's own TTL)          |
 * | 28     | …    | per tag: u16 name length, name (UTF-8), u8 version length, version (ASCII) |
 * | …      | …    | payload (gzip member when bit 0 is set)                 |
 *
 * The Redis read script parses the tag section to fetch the tags' current versions in the same
 * round trip, so a change to this layout needs a new format version and a script update.
 */
export const MAGIC = 0xc7
/** Current envelope format version; any other version reads as a miss. */
export const FORMAT_VERSION = 1
const HEADER = 28

/** How the payload bytes are to be read back. */
export type PayloadKind = 'json' | 'bytes'

/** A tag and the version it had when the entry was written. */
export interface TagStamp {
  readonly name: string
  readonly version: string
}

/** Timing and tags of one entry. */
export interface EntryMeta {
  readonly storedAt: number
  readonly expiresAt: number
  readonly graceUntil: number
  readonly tags: readonly TagStamp[]
}

/** An envelope's parsed header plus its (possibly still gzipped) payload. */
export interface Envelope extends EntryMeta {
  readonly kind: PayloadKind
  readonly gzip: boolean
  readonly payload: Uint8Array
}

/** Builds the envelope bytes. Throws `CacheError` `invalid_option` for more than 255 tags or over-long tags. */
export function writeEnvelope(
  meta: EntryMeta,
  kind: PayloadKind,
  gzip: boolean,
  payload: Uint8Array,
): Uint8Array {
  if (meta.tags.length > 255) throw new CacheError('invalid_option', 'an entry takes at most 255 tags')
  // Lengths first, then the strings written in place: a page with 60 row tags would otherwise
  // allocate 120 intermediate byte arrays per entry.
  const lengths = new Array<number>(meta.tags.length * 2)
  let size = HEADER + payload.byteLength
  for (let i = 0; i < meta.tags.length; i++) {
    const t = meta.tags[i] as TagStamp
    const name = Buffer.byteLength(t.name)
    const version = Buffer.byteLength(t.version)
    if (name > 0xffff || version > 0xff)
      throw new CacheError('invalid_option', 'tag name longer than 65535 bytes')
    lengths[2 * i] = name
    lengths[2 * i + 1] = version
    size += 3 + name + version
  }
  const out = Buffer.allocUnsafe(size)
  out[0] = MAGIC
  out[1] = FORMAT_VERSION
  out[2] = (gzip ? 1 : 0) | ((kind === 'bytes' ? 1 : 0) << 1)
  out[3] = meta.tags.length
  out.writeDoubleBE(meta.storedAt, 4)
  out.writeDoubleBE(meta.expiresAt, 12)
  out.writeDoubleBE(meta.graceUntil, 20)
  let at = HEADER
  for (let i = 0; i < meta.tags.length; i++) {
    const t = meta.tags[i] as TagStamp
    const name = lengths[2 * i] as number
    const version = lengths[2 * i + 1] as number
    out.writeUInt16BE(name, at)
    out.write(t.name, at + 2, name, 'utf8')
    at += 2 + name
    out[at] = version
    out.write(t.version, at + 1, version, 'utf8')
    at += 1 + version
  }
  out.set(payload, at)
  return out
}

function corrupt(why: string): CacheError {
  return new CacheError('corrupt_entry', `unreadable cache entry: ${why}`)
}

/** Parses envelope bytes read from a store; throws `CacheError` `corrupt_entry` on anything unexpected. */
export function readEnvelope(raw: Uint8Array): Envelope {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  if (buf.byteLength < HEADER || buf[0] !== MAGIC) throw corrupt('not a cache-kit envelope')
  if (buf[1] !== FORMAT_VERSION) throw corrupt(`unknown format version ${buf[1]}`)
  const flags = buf[2] as number
  if (flags > 3) throw corrupt('unknown flags')
  const count = buf[3] as number
  const storedAt = buf.readDoubleBE(4)
  const expiresAt = buf.readDoubleBE(12)
  const graceUntil = buf.readDoubleBE(20)
  if (!Number.isFinite(storedAt) || !Number.isFinite(expiresAt) || !Number.isFinite(graceUntil))
    throw corrupt('bad timestamps')
  const tags: TagStamp[] = []
  let at = HEADER
  try {
    for (let i = 0; i < count; i++) {
      const len = buf.readUInt16BE(at)
      if (at + 2 + len + 1 > buf.byteLength) throw corrupt('truncated tags')
      const name = buf.toString('utf8', at + 2, at + 2 + len)
      at += 2 + len
      const vlen = buf[at] as number
      if (at + 1 + vlen > buf.byteLength) throw corrupt('truncated tags')
      const version = buf.toString('latin1', at + 1, at + 1 + vlen)
      at += 1 + vlen
      tags.push({ name, version })
    }
  } catch (err) {
    throw err instanceof CacheError ? err : corrupt('bad tag section')
  }
  return {
    storedAt,
    expiresAt,
    graceUntil,
    tags,
    gzip: (flags & 1) === 1,
    kind: flags & 2 ? 'bytes' : 'json',
    payload: buf.subarray(at),
  }
}

/** Tag names in an envelope (empty when the bytes are not a readable envelope: the full read reports that). */
export function envelopeTagNames(raw: Uint8Array): string[] {
  try {
    return readEnvelope(raw).tags.map((t) => t.name)
  } catch {
    return []
  }
}

/**
 * The tag names of an envelope as views over its bytes (no copy, no decoding); `undefined` when
 * the bytes are not a readable envelope.
 */
export function envelopeTagNameBytes(raw: Uint8Array): Buffer[] | undefined {
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  if (buf.byteLength < HEADER || buf[0] !== MAGIC || buf[1] !== FORMAT_VERSION) return undefined
  const names: Buffer[] = []
  let at = HEADER
  for (let i = 0; i < (buf[3] as number); i++) {
    if (at + 2 > buf.byteLength) return undefined
    const len = buf.readUInt16BE(at)
    if (at + 3 + len > buf.byteLength) return undefined
    names.push(buf.subarray(at + 2, at + 2 + len))
    at += 2 + len
    at += 1 + (buf[at] as number)
  }
  return names
}

/** Whether an envelope's tags are exactly `names` (in order), checked in place. */
export function envelopeHasTagNames(raw: Buffer, names: readonly Buffer[]): boolean {
  if (raw.byteLength < HEADER || raw[0] !== MAGIC || raw[1] !== FORMAT_VERSION) return false
  if (raw[3] !== names.length) return false
  let at = HEADER
  for (const name of names) {
    if (at + 2 > raw.byteLength) return false
    const len = raw.readUInt16BE(at)
    if (len !== name.byteLength || at + 3 + len > raw.byteLength) return false
    if (name.compare(raw, at + 2, at + 2 + len) !== 0) return false
    at += 2 + len
    at += 1 + (raw[at] as number)
  }
  return true
}
