import { Agent, createServer, type RequestListener, request, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A raw response: the bytes exactly as sent (no automatic gunzip). */
export interface RawResponse {
  status: number
  headers: Record<string, string | string[] | undefined>
  body: Buffer
  header(name: string): string | undefined
}

/** Sends requests to a listening server over keep-alive sockets and returns raw bytes. */
export class HttpClient {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 64 })
  constructor(private readonly server: Server) {}

  get port(): number {
    return (this.server.address() as AddressInfo).port
  }

  send(
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<RawResponse> {
    if (body !== undefined) headers = { ...headers, 'content-length': String(Buffer.byteLength(body)) }
    return new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port: this.port,
          method,
          path,
          headers,
          agent: this.agent,
          maxHeaderSize: 1 << 20,
        },
        (res) => {
          const chunks: Buffer[] = []
          res.on('data', (c: Buffer) => chunks.push(c))
          res.on('end', () => {
            const h = res.headers
            resolve({
              status: res.statusCode ?? 0,
              headers: h,
              body: Buffer.concat(chunks),
              header: (name) => {
                const v = h[name.toLowerCase()]
                return Array.isArray(v) ? v.join(', ') : v
              },
            })
          })
          res.on('error', reject)
        },
      )
      req.on('error', reject)
      req.end(body)
    })
  }

  get(path: string, headers: Record<string, string> = {}): Promise<RawResponse> {
    return this.send('GET', path, headers)
  }

  close(): void {
    this.agent.destroy()
  }
}

/** A test server on a free port with a client for it; `close` stops both. */
export interface Served {
  readonly server: Server
  readonly http: HttpClient
  close(): Promise<void>
}

/** Serves `app` on 127.0.0.1 on a free port and opens a keep-alive client to it. */
export async function serve(app: RequestListener): Promise<Served> {
  const server = createServer(app)
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const http = new HttpClient(server)
  return {
    server,
    http,
    async close() {
      http.close()
      await new Promise((r) => server.close(r))
    },
  }
}
