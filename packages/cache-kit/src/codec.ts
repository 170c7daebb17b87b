import type * as Zlib from 'node:zlib'
import { CacheError } from './errors.js'

/**
 * Gzip implementation used by the envelope. Both built-in codecs produce and read standard gzip,
 * so an entry written with one is read by the other.
 */
export interface CacheCodec {
  readonly name: 'zlib' | 'fflate'
  /** Compresses `data` to a standard gzip member. */
  gzip(data: Uint8Array): Promise<Uint8Array>
  /** Decompresses; rejects with `CacheError` code `decompressed_too_large` past `maxOutputBytes`. */
  gunzip(data: Uint8Array, maxOutputBytes: number): Promise<Uint8Array>
}

// Below this size the synchronous call is cheaper than a thread-pool hop; above it the event loop
// would stall for milliseconds.
const SYNC_LIMIT = 128 * 1024
/**
 * Compression level (fflateCodec uses the same): on a 15 KB JSON page level 1 costs half of level 6's CPU for
 * an 8 % larger output (docs/performance.md, gzip level), and every miss pays it.
 */
const GZIP_LEVEL = 1

function tooLarge(max: number): CacheError {
  return new CacheError('decompressed_too_large', `decompressed value exceeds ${max} bytes`)
}

function isTooLarge(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError
}

let zlib: typeof Zlib | undefined

// Loaded on first use, not at import, so the main entry loads on runtimes without `node:zlib`
// (edge workers) that pass `codec: fflateCodec`. Returns the error so that the codec rejects
// rather than throws.
function loadZlib(): typeof Zlib | CacheError {
  zlib ??= globalThis.process?.getBuiltinModule?.('node:zlib')
  return zlib ?? new CacheError('unsupported', 'node:zlib is not available here: use `codec: fflateCodec`')
}

/**
 * `node:zlib` codec: the default on Node (3–4× faster than fflate on a 15 KB page). `node:zlib` is
 * loaded on the first compression, so importing cache-kit never needs it; where it is missing, the
 * first use rejects with `CacheError` code `unsupported` (use {@link fflateCodec} there).
 */
export const zlibCodec: CacheCodec = {
  name: 'zlib',
  gzip(data) {
    const z = loadZlib()
    if (z instanceof CacheError) return Promise.reject(z)
    const { gzip, gzipSync } = z
    if (data.byteLength <= SYNC_LIMIT) return Promise.resolve(gzipSync(data, { level: GZIP_LEVEL }))
    return new Promise((resolve, reject) =>
      gzip(data, { level: GZIP_LEVEL }, (err, out) => (err ? reject(err) : resolve(out))),
    )
  },
  gunzip(data, maxOutputBytes) {
    const z = loadZlib()
    if (z instanceof CacheError) return Promise.reject(z)
    const { gunzip, gunzipSync } = z
    // maxOutputLength makes zlib stop allocating at the cap, so a planted gzip bomb cannot exhaust memory.
    const opts = { maxOutputLength: Math.max(1, maxOutputBytes) }
    if (data.byteLength <= SYNC_LIMIT / 8) {
      try {
        return Promise.resolve(gunzipSync(data, opts))
      } catch (err) {
        return Promise.reject(isTooLarge(err) ? tooLarge(maxOutputBytes) : err)
      }
    }
    return new Promise((resolve, reject) =>
      gunzip(data, opts, (err, out) => {
        if (err) reject(isTooLarge(err) ? tooLarge(maxOutputBytes) : err)
        else resolve(out)
      }),
    )
  },
}
