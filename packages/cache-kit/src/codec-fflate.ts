import { Gunzip, gzipSync } from 'fflate'
import type { CacheCodec } from './codec.js'
import { CacheError } from './errors.js'

// Input is fed in slices so that one push can expand to at most ~1 MiB (deflate tops out near 1032:1)
// before the size check runs: a gzip bomb is stopped early instead of being inflated whole.
const SLICE = 1024

/** Pure-JS gzip codec (fflate) for runtimes without `node:zlib` (edge workers); same wire format. */
export const fflateCodec: CacheCodec = {
  name: 'fflate',
  gzip(data) {
    return Promise.resolve(gzipSync(data, { level: 1 }))
  },
  gunzip(data, maxOutputBytes) {
    try {
      return Promise.resolve(gunzipCapped(data, maxOutputBytes))
    } catch (err) {
      return Promise.reject(err)
    }
  },
}

function gunzipCapped(data: Uint8Array, max: number): Uint8Array {
  const chunks: Uint8Array[] = []
  let total = 0
  let done = false
  const stream = new Gunzip((chunk, final) => {
    total += chunk.byteLength
    if (total > max) throw new CacheError('decompressed_too_large', `decompressed value exceeds ${max} bytes`)
    chunks.push(chunk)
    if (final) done = true
  })
  for (let i = 0; i < data.byteLength; i += SLICE) {
    const end = Math.min(i + SLICE, data.byteLength)
    stream.push(data.subarray(i, end), end === data.byteLength)
  }
  if (!done) throw new CacheError('corrupt_entry', 'truncated gzip data')
  if (chunks.length === 1) return chunks[0] as Uint8Array
  const out = new Uint8Array(total)
  let at = 0
  for (const c of chunks) {
    out.set(c, at)
    at += c.byteLength
  }
  return out
}
