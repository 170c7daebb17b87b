import { Agent, request } from 'node:http'
import { gunzipSync } from 'node:zlib'
import { ADMIN_TOKEN } from './stack.js'

const agent = new Agent({ keepAlive: true, maxSockets: 64 })

/** A response as the tests look at it. */
export interface Reply {
  readonly status: number
  readonly headers: Headers
  /** Parsed JSON (or the text, or `undefined` for an empty body). */
  readonly body: unknown
  readonly text: string
}

/** Options of one request. */
export interface Call {
  readonly method?: string
  readonly body?: unknown
  readonly raw?: string
  readonly headers?: Record<string, string>
  readonly key?: string | null
}

/**
 * Sends one request to `base + path` (JSON in, JSON out) over `node:http`, which — unlike fetch —
 * sends a `Host` header as given. Asks for gzip and inflates it, as a browser would.
 */
export function call(base: string, path: string, o: Call = {}): Promise<Reply> {
  const headers: Record<string, string> = { 'accept-encoding': 'gzip', ...o.headers }
  if (o.key) headers.authorization = `Bearer ${o.key}`
  let body: string | undefined
  if (o.raw !== undefined) {
    body = o.raw
    headers['content-type'] ??= 'application/json'
  } else if (o.body !== undefined) {
    body = JSON.stringify(o.body)
    headers['content-type'] = 'application/json'
  }
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: o.method ?? 'GET', headers, agent }, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('error', reject)
      res.on('end', () => {
        const raw = Buffer.concat(chunks)
        const text = (res.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw).toString('utf8')
        let parsed: unknown
        try {
          parsed = text ? JSON.parse(text) : undefined
        } catch {
          parsed = text
        }
        const h = new Headers()
        for (const [k, v] of Object.entries(res.headers)) {
          if (v !== undefined) h.set(k, Array.isArray(v) ? v.join(', ') : v)
        }
        resolve({ status: res.statusCode ?? 0, headers: h, body: parsed, text })
      })
    })
    req.on('error', reject)
    req.end(body)
  })
}

/** A client bound to one company's API key. */
export function client(base: () => string, key: string) {
  return {
    key,
    get: (path: string, headers?: Record<string, string>) =>
      call(base(), path, { key, ...(headers ? { headers } : {}) }),
    post: (path: string, body: unknown, headers?: Record<string, string>) =>
      call(base(), path, { method: 'POST', key, body, ...(headers ? { headers } : {}) }),
    patch: (path: string, body: unknown) => call(base(), path, { method: 'PATCH', key, body }),
    del: (path: string) => call(base(), path, { method: 'DELETE', key }),
  }
}

/** A company client (see {@link client}). */
export type Client = ReturnType<typeof client>

/** Creates a company through the admin route and returns its id and a client with its key. */
export async function newCompany(base: () => string, name: string): Promise<{ id: number; api: Client }> {
  const email = `${name.toLowerCase().replace(/\W+/g, '-')}-${Math.random().toString(36).slice(2, 8)}@example.test`
  const r = await call(base(), '/api/admin/companies', {
    method: 'POST',
    key: ADMIN_TOKEN,
    body: { name, email },
  })
  if (r.status !== 201) throw new Error(`create company: ${r.status} ${r.text}`)
  const b = r.body as { company: { id: number }; api_key: string }
  return { id: b.company.id, api: client(base, b.api_key) }
}

/** Reads `body.results` of a list reply. */
export function results<T = Record<string, unknown>>(r: Reply): T[] {
  return ((r.body as { results?: T[] } | undefined)?.results ?? []) as T[]
}
