// `node --import tsx bench/http/in-process.ts [gzip]`: the cost of a cache hit in the middleware
// alone, hotpath `cacheResponse` (memory store) against apicache (memory), with Node's HTTP stack
// taken out: each hit gets a real Express request object and a stub response that only records
// what is written. Both caches are filled through real HTTP first. Best of 7 rounds of 30,000 hits,
// variants alternated; prints µs per hit and the ratio. The end-to-end figures are index.ts's.
import type { AddressInfo } from 'node:net'
import apicache from 'apicache'
import express, { type Request, type RequestHandler, type Response } from 'express'
import { cacheResponse } from '../../packages/cache-kit/src/express/index.ts'
import { CacheManager, memoryStore } from '../../packages/cache-kit/src/index.ts'
import { productsPage } from './page.ts'

const PATH = '/api/products?page=2&page_size=50'
const gzip = process.argv[2] === 'gzip'
const page = productsPage()
const app = express()
const scope = (req: Request) => /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1]
const cache = new CacheManager({ store: memoryStore(), prefix: 'bench-in-process' })
const variants: Record<string, RequestHandler> = {
  hotpath: cacheResponse(cache, { ttl: '5m', scope, tags: ['products'], query: ['page', 'page_size'] }),
  apicache: apicache.newInstance({ defaultDuration: '5 minutes' }).middleware('5 minutes'),
}
const handler: RequestHandler = (_req, res) => {
  res.json(page)
}
/** The Host the entries were stored under (hotpath keys it). */
let host = ''

function request(): Request {
  const req = Object.create(app.request) as Request & Record<string, unknown>
  Object.assign(req, { method: 'GET', url: PATH, originalUrl: PATH, baseUrl: '', app })
  req.headers = { host, authorization: 'Bearer acme', ...(gzip ? { 'accept-encoding': 'gzip' } : {}) }
  return req
}

/** Records what a hit writes; anything else a hit should not need is missing on purpose. */
function response(): Response {
  const headers: Record<string, unknown> = { 'x-powered-by': 'Express' }
  let sent = false
  const res = {
    get headersSent() {
      return sent
    },
    statusCode: 200,
    getHeader: (n: string) => headers[n.toLowerCase()],
    getHeaders: () => ({ ...headers }),
    setHeader(n: string, v: unknown) {
      headers[n.toLowerCase()] = v
      return res
    },
    writeHead(status: number, h?: Record<string, unknown>) {
      res.statusCode = status
      for (const k in h) headers[k.toLowerCase()] = h[k]
      sent = true
      return res
    },
    end: () => res,
  }
  return res as unknown as Response
}

async function hits(name: string, n: number): Promise<number> {
  const mw = variants[name] as RequestHandler
  const miss = () => {
    throw new Error(`${name}: a hit ran the handler`)
  }
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) {
    const r: unknown = mw(request(), response(), miss)
    if (r instanceof Promise) await r
  }
  return Number(process.hrtime.bigint() - t0) / n / 1000
}

for (const [name, mw] of Object.entries(variants)) {
  const a = express()
  a.get('/api/products', mw, handler)
  const server = a.listen(0, '127.0.0.1')
  await new Promise((r) => server.once('listening', r))
  const at = `127.0.0.1:${(server.address() as AddressInfo).port}`
  if (name === 'hotpath') host = at
  for (const encoding of ['gzip', 'identity'])
    for (let i = 0; i < 2; i++)
      await (
        await fetch(`http://${at}${PATH}`, {
          headers: { authorization: 'Bearer acme', 'accept-encoding': encoding },
        })
      ).arrayBuffer()
  server.close()
}
const best: Record<string, number> = {}
for (let round = 0; round < 7; round++)
  for (const name of round % 2 ? Object.keys(variants).reverse() : Object.keys(variants))
    best[name] = Math.min(best[name] ?? Number.POSITIVE_INFINITY, await hits(name, 30_000))
const { hotpath = 0, apicache: api = 1 } = best
console.log(
  `${gzip ? 'gzip' : 'identity'} client, µs per hit: hotpath ${hotpath.toFixed(2)}, apicache ${api.toFixed(2)}; ` +
    `hotpath ÷ apicache ${(hotpath / api).toFixed(2)}`,
)
process.exit(0)
