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

/**
 * Sends `req` to `origin` (`http://127.0.0.1:PORT`) with node:http and keep-alive; never throws.
 * A request that fails with ECONNRESET/EPIPE on a reused keep-alive socket before any response is
 * sent once more on a new connection (the server closed that idle socket as the request went out:
 * it never read it; the retry Node's documentation of `request.reusedSocket` prescribes). Any other
 * failure is reported as status 0.
 */
export async function send(origin: string, req: HttpRequest): Promise<HttpResponse> {
  const started = performance.now()
  const first = await attempt(origin, req, started, false)
  if (!first.staleSocket) return first.res
  // On a new connection: other pooled sockets may have gone idle at the same moment as this one.
  return (await attempt(origin, req, started, true)).res
}

function attempt(
  origin: string,
  req: HttpRequest,
  started: number,
  newConnection: boolean,
): Promise<{ res: HttpResponse; staleSocket: boolean }> {
  const url = new URL(origin)
  const headers: Record<string, string> = { ...req.headers }
  let body: string | Buffer | undefined = req.body
  if (req.json !== undefined) {
    body = JSON.stringify(req.json)
    headers['content-type'] ??= 'application/json'
  }
  if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body))
  return new Promise((resolve) => {
    let responded = false
    const fail = (error: NodeJS.ErrnoException) =>
      resolve({
        res: { status: 0, headers: {}, text: '', ms: performance.now() - started, error: error.message },
        staleSocket: !responded && r.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE'),
      })
    const r = httpRequest(
      {
        host: url.hostname,
        port: url.port,
        method: req.method ?? 'GET',
        path: req.path,
        headers,
        agent: newConnection ? false : agentFor(origin),
        timeout: req.timeoutMs ?? 10_000,
      },
      (res) => {
        responded = true
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', fail)
        res.on('end', () =>
          resolve({
            res: {
              status: res.statusCode ?? 0,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            },
            staleSocket: false,
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
