import { createServer, type Server } from 'node:http'
import type { CacheManager } from '@hotpath/cache-kit'
import { type CacheResponseOptions, cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import express, { type Request, type Response } from 'express'

/** The tenant named by `Authorization: Bearer <tenant>`, as an auth middleware would resolve it. */
export function tenantOf(req: Request): string | undefined {
  const m = /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')
  return m?.[1]
}

/** A gate a handler waits on until the test opens it, and that tells the test when it is waited on. */
export class Gate {
  private open!: () => void
  private readonly opened = new Promise<void>((r) => {
    this.open = r
  })
  private entered!: () => void
  /** Resolves when the first handler waits on the gate. */
  readonly waiting = new Promise<void>((r) => {
    this.entered = r
  })
  wait(): Promise<void> {
    this.entered()
    return this.opened
  }
  release(): void {
    this.open()
  }
}

/** 50 products of a tenant, ~15 KB of JSON; `version` changes after a write. */
export function productsPage(tenant: string, version: number, query: unknown) {
  return {
    tenant,
    version,
    query,
    results: Array.from({ length: 50 }, (_, i) => ({
      id: i + 1,
      name: `${tenant} product ${i + 1} — café ünïcode`,
      sku: `SKU-${tenant}-${String(i).padStart(5, '0')}`,
      sale_price: `${(i * 3.5 + 9.99).toFixed(2)}`,
      category_id: (i % 7) + 1,
      supplier_id: (i % 5) + 1,
      is_active: i % 9 !== 0,
      description: 'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incid.',
      created_at: '2026-01-01T00:00:00.000Z',
      updated_at: '2026-01-02T00:00:00.000Z',
    })),
  }
}

/** The test application and the counters its handlers keep. */
export interface TestApp {
  server: Server
  calls: Record<string, number>
  versions: Map<string, number>
  gates: Map<string, Gate>
  arrived: { count: number; waiters: Array<{ n: number; resolve: () => void }> }
  /** Resolves once `n` requests have reached the cache middleware. */
  arrivals(n: number): Promise<void>
}

/**
 * A small Express 5 app with one route per behaviour. `scoped` is the products policy of the
 * store API: per tenant, tagged, allow-listed query.
 */
export function buildApp(cache: CacheManager): TestApp {
  const app = express()
  const calls: Record<string, number> = {}
  const versions = new Map<string, number>()
  const gates = new Map<string, Gate>()
  const arrived: TestApp['arrived'] = { count: 0, waiters: [] }
  const count = (name: string) => {
    calls[name] = (calls[name] ?? 0) + 1
  }
  app.set('query parser', 'simple')
  // The tests' client is the trusted proxy: its X-Forwarded-* headers are what Express derives.
  app.set('trust proxy', 'loopback')
  app.use((_req, _res, next) => {
    arrived.count++
    for (const w of arrived.waiters) if (arrived.count >= w.n) w.resolve()
    next()
  })
  app.use(express.json())
  const scoped: CacheResponseOptions = {
    ttl: '5m',
    scope: tenantOf,
    tags: (req) => [`products:${tenantOf(req)}`],
    query: ['page', 'page_size', 'ordering', 'category'],
  }
  const list = async (req: Request, res: Response) => {
    const tenant = tenantOf(req) ?? 'none'
    count('products')
    count(`products:${tenant}`)
    // Reads its data first, then (when a test holds the gate) takes a while to answer.
    const version = versions.get(tenant) ?? 0
    const gate = gates.get(tenant)
    if (gate) await gate.wait()
    res.json(productsPage(tenant, version, req.query))
  }
  app.get('/api/products', cacheResponse(cache, scoped), list)
  app.get('/api/refreshable', cacheResponse(cache, { ...scoped, honorRequestCacheControl: true }), list)
  app.get('/raw/products', list)
  app.get('/api/strict', cacheResponse(cache, { ...scoped, unknownQuery: 'reject' }), list)
  app.post(
    '/api/products',
    invalidates(cache, (req) => [`products:${tenantOf(req)}`]),
    (req, res) => {
      const tenant = tenantOf(req) ?? 'none'
      count('create')
      if (!req.body?.name) {
        res.status(422).json({ error: { code: 'validation_failed' } })
        return
      }
      versions.set(tenant, (versions.get(tenant) ?? 0) + 1)
      res.status(201).json({ created: req.body.name })
    },
  )
  // The decorator-style option: the same policy object handles the write.
  app.post(
    '/api/products/via-policy',
    cacheResponse(cache, { ...scoped, invalidates: (req) => [`products:${tenantOf(req)}`] }),
    (req, res) => {
      const tenant = tenantOf(req) ?? 'none'
      versions.set(tenant, (versions.get(tenant) ?? 0) + 1)
      res.status(201).json({ ok: true })
    },
  )
  app.post('/api/products/explicit', async (req, res) => {
    const tenant = tenantOf(req) ?? 'none'
    versions.set(tenant, (versions.get(tenant) ?? 0) + 1)
    await cache.invalidateTags([`products:${tenant}`])
    res.status(201).json({ ok: true })
  })
  // A handler that builds absolute links from the (proxied) host, as a paginated list does.
  app.get('/api/links', cacheResponse(cache, { ttl: '5m', public: true }), (req, res) => {
    count('links')
    res.json({ next: `${req.protocol}://${req.host}/api/links?page=2` })
  })
  // Reflects a GET body, as a careless handler might.
  app.get('/api/fat', cacheResponse(cache, { ttl: '5m', public: true }), (req, res) => {
    count('fat')
    res.json({ page: req.body?.page ?? 1 })
  })
  const pub = cacheResponse(cache, {
    ttl: '5m',
    public: true,
    statuses: [301, 404],
    vary: ['Accept-Language'],
  })
  const never = cacheResponse(cache, { ttl: '5m', public: true, maxBodyBytes: 1000 })
  const neverRoutes: Record<string, (req: Request, res: Response) => void> = {
    error: (_req, res) => {
      res.status(500).json({ error: 'boom' })
    },
    notfound: (_req, res) => {
      res.status(404).json({ error: 'missing' })
    },
    cookie: (_req, res) => {
      res.cookie('sid', `s${calls.cookie}`).json({ ok: true })
    },
    private: (_req, res) => {
      res.set('Cache-Control', 'private, max-age=60').json({ ok: true })
    },
    nostore: (_req, res) => {
      res.set('Cache-Control', 'no-store').json({ ok: true })
    },
    varystar: (_req, res) => {
      res.set('Vary', '*').json({ ok: true })
    },
    varyunkeyed: (req, res) => {
      res.set('Vary', 'Accept-Language').json({ lang: req.headers['accept-language'] ?? 'en' })
    },
    large: (_req, res) => {
      res.json({ blob: 'x'.repeat(2000) })
    },
    streaming: (_req, res) => {
      res.type('text/plain')
      res.write('part one, ')
      res.end('part two')
    },
    encoded: (_req, res) => {
      res.set('Content-Encoding', 'br').send(Buffer.from('not really brotli'))
    },
    partial: (_req, res) => {
      res.status(206).set('Content-Range', 'bytes 0-3/10').send('abcd')
    },
  }
  for (const [name, handler] of Object.entries(neverRoutes)) {
    app.get(`/never/${name}`, never, (req, res) => {
      count(name)
      handler(req, res)
    })
  }
  app.get('/opt/notfound', pub, (_req, res) => {
    count('opt-notfound')
    res.status(404).json({ error: 'missing' })
  })
  app.get('/opt/redirect', pub, (_req, res) => {
    count('opt-redirect')
    // Not res.redirect: its body is negotiated on Accept (it sets `Vary: Accept`, which is unkeyed here).
    res.status(301).location('/elsewhere').end()
  })
  app.get('/opt/lang', pub, (req, res) => {
    count('opt-lang')
    res.set('Vary', 'Accept-Language').json({ lang: req.headers['accept-language'] ?? 'en' })
  })
  // A middleware that sets Vary before the cache (as CORS sets Origin): honoured, so keyed.
  app.get(
    '/vary/prior',
    (_req, res, next) => {
      res.vary('Accept-Language')
      next()
    },
    cacheResponse(cache, { ttl: '5m', public: true }),
    (req, res) => {
      count('vary-prior')
      res.json({ lang: req.headers['accept-language'] ?? 'en' })
    },
  )
  // Scoped per company, but the body is per credential: `Vary: Authorization` is not keyed, so not stored.
  app.get(
    '/vary/credential',
    cacheResponse(cache, { ttl: '5m', scope: (req) => req.headers['x-company'] as string | undefined }),
    (req, res) => {
      count('vary-credential')
      res.vary('Authorization').json({ user: req.headers.authorization })
    },
  )
  // A write whose invalidation takes a while (its targets come from a gate the test opens).
  app.post(
    '/api/products/slow-invalidation',
    invalidates(cache, async (req) => {
      await gates.get('invalidation')?.wait()
      return [`products:${tenantOf(req)}`]
    }),
    (req, res) => {
      const tenant = tenantOf(req) ?? 'none'
      versions.set(tenant, (versions.get(tenant) ?? 0) + 1)
      res.status(201).json({ ok: true })
    },
  )
  let flaky = 0
  app.get('/grace', cacheResponse(cache, { ttl: '1s', grace: '1h', public: true }), (_req, res) => {
    count('grace')
    flaky++
    if (flaky === 2) res.status(503).json({ error: 'database down' })
    else res.json({ n: flaky })
  })
  let refreshed = 0
  app.get(
    '/grace-gated',
    cacheResponse(cache, { ttl: '1s', grace: '1h', public: true }),
    async (_req, res) => {
      count('grace-gated')
      refreshed++
      const gate = gates.get('grace')
      if (gate) await gate.wait()
      res.json({ n: refreshed })
    },
  )
  return {
    server: createServer(app),
    calls,
    versions,
    gates,
    arrived,
    arrivals(n) {
      if (arrived.count >= n) return Promise.resolve()
      return new Promise((resolve) => arrived.waiters.push({ n, resolve }))
    },
  }
}
