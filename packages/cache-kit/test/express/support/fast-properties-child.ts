// Run by fast-properties.test.ts as `node --allow-natives-syntax --import tsx <this file>`: holds
// responses with ResponseHold, releases them, and prints whether V8 still keeps each response (and
// its socket) with fast properties once it finished, as JSON lines.
import { createServer, type IncomingMessage, request, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { Response } from 'express'
import { type HoldPolicy, ResponseHold } from '../../../src/express/hold.js'

// `%` intrinsics parse only under --allow-natives-syntax, so not in this file's own source.
const hasFastProperties = new Function('o', 'return %HasFastProperties(o)') as (o: object) => boolean

/** Holds the response at its `end`, then releases it with a replay on the next microtask. */
class HoldAtEnd implements HoldPolicy {
  readonly hold: ResponseHold
  constructor(res: ServerResponse, head: boolean) {
    this.hold = new ResponseHold(res as Response, this, { head, watchClose: true })
  }
  first(): 'hold' {
    return 'hold'
  }
  complete(): void {
    queueMicrotask(() => {
      this.hold.release(true)
      this.hold.settle()
    })
  }
  error(): void {}
}

const server = createServer((req: IncomingMessage, res: ServerResponse) => {
  new HoldAtEnd(res, req.url === '/head')
  const socket = res.socket
  res.on('finish', () => {
    console.log(
      JSON.stringify({
        url: req.url,
        response: hasFastProperties(res),
        socket: socket ? hasFastProperties(socket) : null,
      }),
    )
  })
  res.statusCode = 201
  res.setHeader('content-type', 'text/plain')
  res.end('held')
})

function get(port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ host: '127.0.0.1', port, path }, (r) => {
      r.resume()
      r.on('end', () => resolve(r.statusCode ?? 0))
    })
      .on('error', reject)
      .end()
  })
}

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address() as AddressInfo
  for (const path of ['/plain', '/head', '/plain', '/head']) await get(port, path)
  server.close()
})
