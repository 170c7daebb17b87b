/**
 * A stored response, serialised into ONE byte array (stored with `compress: false`):
 *
 * | offset | size | field                                              |
 * | ------ | ---- | -------------------------------------------------- |
 * | 0      | 1    | magic `0x52`                                       |
 * | 1      | 1    | format version (`2`)                               |
 * | 2      | 1    | flags: bit 0 body is gzip                          |
 * | 3      | 1    | header count (≤ 255)                               |
 * | 4      | 2    | status (u16 BE)                                    |
 * | 6      | 4    | uncompressed body length (u32 BE)                  |
 * | 10     | 1    | identity ETag length, then the ETag (ASCII)        |
 * | …      | 1    | gzip ETag length, then the ETag (ASCII)            |
 * | …      | …    | per header: u8 name length, name, u16 value length, value (UTF-8) |
 * | …      | …    | body                                               |
 */
export interface ResponseRecord {
  readonly status: number
  /** Strong ETag of the identity representation, quotes included, computed once when stored. */
  readonly etag: string
  /**
   * Strong ETag of the gzip representation (RFC 9110 §8.8.3: another content-coding is another
   * representation), derived once when stored; equal to `etag` when the body is not gzip.
   */
  readonly gzipEtag: string
  /** `body` is a gzip member (else identity bytes). */
  readonly gzip: boolean
  /** Length of the uncompressed body. */
  readonly identityLength: number
  /** Stored headers as a flat `[name, value, name, value…]` list, names lower-case. */
  readonly headers: readonly string[]
  readonly body: Uint8Array
}

const MAGIC = 0x52
const VERSION = 2
const FIXED = 11

/** Most headers a record holds (one byte counts them). */
const MAX_HEADERS = 255
/** Longest header name, and ETag, in bytes (one byte holds the length). */
const MAX_SHORT = 255
/** Longest header value in bytes (two bytes hold the length). */
const MAX_VALUE = 0xffff
/** What `gzipEtagOf` adds to an ETag (`-gzip`). */
const GZIP_ETAG_EXTRA = 5

/**
 * Whether a response with this identity ETag and these stored headers (flat `[name, value, …]`)
 * can be held by a record: at most 255 headers, names and ETags up to 255 bytes, values up to
 * 64 KiB. A response that does not fit is not stored (reason `'record-limits'`).
 */
export function recordFits(etag: string, headers: readonly string[]): boolean {
  if (headers.length / 2 > MAX_HEADERS || Buffer.byteLength(etag, 'latin1') + GZIP_ETAG_EXTRA > MAX_SHORT)
    return false
  for (let i = 0; i < headers.length; i += 2) {
    if (Buffer.byteLength(headers[i] as string, 'latin1') > MAX_SHORT) return false
    if (Buffer.byteLength(headers[i + 1] as string, 'utf8') > MAX_VALUE) return false
  }
  return true
}

/** Serialises a record. Throws a `RangeError` for one that does not fit (see {@link recordFits}). */
export function encodeRecord(r: ResponseRecord): Buffer {
  if (!recordFits(r.etag, r.headers) || r.gzipEtag.length > MAX_SHORT)
    throw new RangeError('response record: too many or too long headers, or too long an ETag')
  const etag = Buffer.from(r.etag, 'latin1')
  const gzipEtag = Buffer.from(r.gzipEtag, 'latin1')
  const hs: Buffer[] = []
  let size = FIXED + etag.byteLength + 1 + gzipEtag.byteLength + r.body.byteLength
  for (let i = 0; i < r.headers.length; i += 2) {
    const name = Buffer.from(r.headers[i] as string, 'latin1')
    const value = Buffer.from(r.headers[i + 1] as string, 'utf8')
    hs.push(name, value)
    size += 3 + name.byteLength + value.byteLength
  }
  const out = Buffer.allocUnsafe(size)
  out[0] = MAGIC
  out[1] = VERSION
  out[2] = r.gzip ? 1 : 0
  out[3] = hs.length / 2
  out.writeUInt16BE(r.status, 4)
  out.writeUInt32BE(r.identityLength, 6)
  out[10] = etag.byteLength
  etag.copy(out, FIXED)
  let at = FIXED + etag.byteLength
  out[at] = gzipEtag.byteLength
  gzipEtag.copy(out, at + 1)
  at += 1 + gzipEtag.byteLength
  for (let i = 0; i < hs.length; i += 2) {
    const name = hs[i] as Buffer
    const value = hs[i + 1] as Buffer
    out[at] = name.byteLength
    name.copy(out, at + 1)
    at += 1 + name.byteLength
    out.writeUInt16BE(value.byteLength, at)
    value.copy(out, at + 2)
    at += 2 + value.byteLength
  }
  out.set(r.body, at)
  return out
}

const parsed = new WeakMap<Uint8Array, ResponseRecord>()

/**
 * {@link decodeRecord}, parsed once per bytes object: an L1 or memory-store hit hands back the same
 * object every time, so a hit does not re-read the headers.
 */
export function recordOf(raw: unknown): ResponseRecord | undefined {
  if (!(raw instanceof Uint8Array)) return undefined
  let r = parsed.get(raw)
  if (r === undefined) {
    r = decodeRecord(raw)
    if (r !== undefined) parsed.set(raw, r)
  }
  return r
}

/** Parses bytes read back from the store; `undefined` for anything that is not a valid record. */
export function decodeRecord(raw: unknown): ResponseRecord | undefined {
  if (!(raw instanceof Uint8Array) || raw.byteLength < FIXED) return undefined
  const buf = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength)
  if (buf[0] !== MAGIC || buf[1] !== VERSION || (buf[2] as number) > 1) return undefined
  const count = buf[3] as number
  let at = FIXED + (buf[10] as number)
  if (at + 1 > buf.byteLength) return undefined
  const etag = buf.toString('latin1', FIXED, at)
  const gzipEnd = at + 1 + (buf[at] as number)
  if (gzipEnd > buf.byteLength) return undefined
  const gzipEtag = buf.toString('latin1', at + 1, gzipEnd)
  at = gzipEnd
  const headers: string[] = new Array(count * 2)
  for (let i = 0; i < count; i++) {
    if (at + 1 > buf.byteLength) return undefined
    const nameEnd = at + 1 + (buf[at] as number)
    if (nameEnd + 2 > buf.byteLength) return undefined
    const valueEnd = nameEnd + 2 + buf.readUInt16BE(nameEnd)
    if (valueEnd > buf.byteLength) return undefined
    headers[i * 2] = buf.toString('latin1', at + 1, nameEnd)
    headers[i * 2 + 1] = buf.toString('utf8', nameEnd + 2, valueEnd)
    at = valueEnd
  }
  const gzip = buf[2] === 1
  const body = buf.subarray(at)
  const identityLength = buf.readUInt32BE(6)
  if (!gzip && body.byteLength !== identityLength) return undefined
  return { status: buf.readUInt16BE(4), etag, gzipEtag, gzip, identityLength, headers, body }
}
