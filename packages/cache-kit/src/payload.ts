import type { CacheCodec } from './codec.js'
import type { PayloadKind } from './envelope.js'
import { CacheError } from './errors.js'

/** A value turned into bytes, before compression. */
export interface Serialized {
  readonly kind: PayloadKind
  readonly bytes: Uint8Array
}

/** JSON for everything but `Uint8Array` (Node `Buffer` included), which is stored as raw bytes. */
export function serialize(value: unknown): Serialized {
  if (value instanceof Uint8Array) return { kind: 'bytes', bytes: value }
  const text = JSON.stringify(value)
  if (text === undefined) throw new CacheError('invalid_option', 'value cannot be serialised to JSON')
  return { kind: 'json', bytes: Buffer.from(text, 'utf8') }
}

function rejectProto(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new CacheError('corrupt_entry', 'JSON entry tries to set __proto__')
  return value
}

/**
 * Turns serialised bytes back into a value; JSON that tries `__proto__` throws `corrupt_entry`.
 * Bytes come back as a `Buffer` view over `bytes` (no copy: a 20 KB body copied per hit was most
 * of a memory-store hit's cost) unless `copy` is set.
 */
export function deserialize(kind: PayloadKind, bytes: Uint8Array, copy = false): unknown {
  if (kind === 'bytes') {
    if (copy) return Buffer.from(bytes)
    return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  }
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const text = buf.toString('utf8')
  try {
    // The reviver costs a full walk, so it only runs when the text could hold the key at all.
    return text.includes('__proto__') ? JSON.parse(text, rejectProto) : JSON.parse(text)
  } catch (err) {
    if (err instanceof CacheError) throw err
    throw new CacheError('corrupt_entry', 'entry payload is not valid JSON', { cause: err })
  }
}

/** Decompresses a payload when flagged, within `maxBytes`. */
export async function inflate(
  payload: Uint8Array,
  gzip: boolean,
  codec: CacheCodec,
  maxBytes: number,
): Promise<Uint8Array> {
  if (!gzip) return payload
  try {
    return await codec.gunzip(payload, maxBytes)
  } catch (err) {
    if (err instanceof CacheError) throw err
    throw new CacheError('corrupt_entry', 'entry payload is not valid gzip', { cause: err })
  }
}
