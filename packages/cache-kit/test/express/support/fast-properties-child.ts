// Run by fast-properties.test.ts as `node --allow-natives-syntax --import tsx <this file>`: an
// Express app whose responses go through the response hold (a cacheResponse miss, a write under
// invalidates) and one that does not (a hit), then prints, per request, whether V8 still keeps
// the response and its socket with fast properties once the response finished, as JSON lines.
import { request } from 'node:http'
import type { AddressInfo } from 'node:net'
import express from 'express'
import { cacheResponse, invalidates } from '../../../src/express/index.js'
import { CacheManager, memoryStore } from '../../../src/index.js'

// `%` intrinsics parse only under --allow-natives-syntax, so not in this file's own source.
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean

const cache = new CacheManager({ store: memoryStore() })
const app = express()
app.use((req, res, next) => {
  const socket = req.socket
  res.on('finish', () =>
    console.log(
      JSON.stringify({
        request: `${req.method} ${req.url} ${res.getHeader('x-cache') ?? ''}`.trim(),
        response: hasFastProperties(res),
        socket: hasFastProperties(socket),
      }),
    ),
  )
  next()
})
app.get('/items/:id', cacheResponse(cache, { ttl: '1m', public: true, tags: ['items'] }), (req, res) => {
  res.status(200).json({ id: req.params.id })
})
app.post('/items', invalidates(cache, ['items']), (_req, res) => {
  res.status(201).json({ ok: true })
})

function send(port: number, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, method, path }, (r) => {
      r.resume()
      r.on('end', () => resolve(r.statusCode ?? 0))
    })
      .on('error', reject)
      .end()
  })
}

const server = app.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo
  for (const [method, path] of [
    ['GET', '/items/1'],
    ['GET', '/items/1'],
    ['POST', '/items'],
    ['GET', '/items/2'],
  ] as const)
    await send(port, method, path)
  server.close()
  await cache.close()
})
