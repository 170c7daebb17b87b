import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http'

/** One HTTP request as the suite sends it: any method, any header, a body even on GET. */
export interface HttpRequest {
  readonly method?: string
  /** Path and query, sent byte for byte (no normalisation): `/api/products?page=2`. */
  readonly path: string
  readonly headers?: Record<string, string>
  /** A JSON value (sent with `content-type: application/json`) or raw bytes/text sent as they are. */
  readonly json?: unknown
  readonly body?: string | Buffer
  /** Gives up after this many ms and reports status 0. Default 10 000. */
  readonly timeoutMs?: number
}

/** What came back; `status` 0 means no response (connection refused, reset, timeout). */
export interface HttpResponse {
  readonly status: number
  readonly headers: IncomingHttpHeaders
  readonly text: string
  /** Milliseconds from sending to the last byte. */
  readonly ms: number
  /** The network error when `status` is 0. */
  readonly error?: string
}

const agents = new Map<string, Agent>()

function agentFor(origin: string): Agent {
  let agent = agents.get(origin)
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: 256 })
    agents.set(origin, agent)
  }
  return agent
}

/** Closes every pooled keep-alive connection (call in `afterAll`). */
export function closeHttpAgents(): void {
  for (const agent of agents.values()) agent.destroy()
  agents.clear()
}

/** Sends `req` to `origin` (`http://127.0.0.1:PORT`) with node:http and keep-alive; never throws. */
export function send(origin: string, req: HttpRequest): Promise<HttpResponse> {
  const url = new URL(origin)
  const headers: Record<string, string> = { ...req.headers }
  let body: string | Buffer | undefined = req.body
  if (req.json !== undefined) {
    body = JSON.stringify(req.json)
    headers['content-type'] ??= 'application/json'
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
  const started = performance.now()
  return new Promise((resolve) => {
    const fail = (error: Error) =>
      resolve({ status: 0, headers: {}, text: '', ms: performance.now() - started, error: error.message })
    const r = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        agent: agentFor(origin),
        timeout: req.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', fail)
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        )
      },
    )
    r.on('timeout', () => r.destroy(new Error(`timeout after ${req.timeoutMs ?? 10_000} ms`)))
    r.on('error', fail)
    r.end(body)
  })
}

/** Parses a response body as JSON; `undefined` when it is not JSON. */
export function bodyOf(res: HttpResponse): unknown {
  try {
    return JSON.parse(res.text) as unknown
  } catch {
    return undefined
  }
}

/** The `X-Cache` header of a response (`HIT`, `MISS`, `STALE`, `BYPASS`), or `-` when absent. */
export function xCache(res: HttpResponse): string {
  const v = res.headers['x-cache']
  return typeof v === 'string' ? v : '-'
}
