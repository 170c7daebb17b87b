// `npm run build && npm run bench -- gzip-threshold`: what gzipping a stored response body costs
// and saves at each size, for choosing `compressThreshold` (below it `cacheResponse` stores and
// sends the body as it is). Bodies are JSON as the store API sends it: one product (a detail
// response), then lists of more products up to the 50-product page (~15 KB). Per size and codec
// (cache-kit's zlibCodec and fflateCodec, as built in dist) it times gzip (a miss pays it once) and
// gunzip (a hit for a client without gzip pays it, unless the inflated body is still kept), best
// of BENCH_ROUNDS (default 5) rounds, and prints the bytes saved per µs of gzip.
import { fflateCodec, zlibCodec } from '@hotpath/cache-kit'
import { productsPage } from '../http/page.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5)
const products = productsPage().results
const bodies: Array<[string, Uint8Array]> = [
  ['1 product (detail)', Buffer.from(JSON.stringify(products[0]))],
  ...[2, 3, 6, 12, 50].map(
    (n) =>
      [
        `${n} products`,
        Buffer.from(JSON.stringify({ ...productsPage(), results: products.slice(0, n) })),
      ] as [string, Uint8Array],
  ),
]

/** Best µs per call of `fn` over ROUNDS rounds of `n` calls (after a warm-up round). */
async function best(n: number, fn: () => Promise<unknown>): Promise<number> {
  let min = Number.POSITIVE_INFINITY
  for (let r = -1; r < ROUNDS; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) await fn()
    const us = Number(process.hrtime.bigint() - t0) / 1000 / n
    if (r >= 0) min = Math.min(min, us)
  }
  return min
}

console.log(
  `gzip of a stored body by size, best of ${ROUNDS} rounds (Node ${process.version}):\n` +
    '| body | bytes | codec | gzipped bytes | saved | gzip µs | gunzip µs | bytes saved per gzip µs |\n' +
    '| --- | ---: | --- | ---: | ---: | ---: | ---: | ---: |',
)
for (const [name, body] of bodies) {
  for (const [codecName, codec] of [
    ['zlib', zlibCodec],
    ['fflate', fflateCodec],
  ] as const) {
    const gz = await codec.gzip(body)
    const back = await codec.gunzip(gz, body.byteLength)
    if (Buffer.compare(Buffer.from(back), Buffer.from(body)) !== 0)
      throw new Error(`${codecName}: round trip differs`)
    const gzipUs = await best(2000, () => codec.gzip(body))
    const gunzipUs = await best(2000, () => codec.gunzip(gz, body.byteLength))
    const saved = body.byteLength - gz.byteLength
    console.log(
      `| ${name} | ${body.byteLength} | ${codecName} | ${gz.byteLength} | ${saved} | ${gzipUs.toFixed(1)} | ${gunzipUs.toFixed(1)} | ${(saved / gzipUs).toFixed(0)} |`,
    )
  }
}
