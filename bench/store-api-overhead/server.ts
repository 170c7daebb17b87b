// The benchmark's server process: bare Express and the store API (createApp, its whole middleware
// stack) each on its own port, plus a control port reporting this process's CPU time. Prints
// `{ "<variant>": port, …, "_control": port, "_key": "<api key>", "_product": id }` once listening.
// Spawned by index.ts; run it under `node --cpu-prof` (BENCH_PROFILE=1) to see where a request goes.
import { mkdtempSync, rmSync } from 'node:fs'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import express, { type Express } from 'express'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import { createApp } from '../../examples/store-api/src/app.ts'
import { connectDatabase } from '../../examples/store-api/src/db/connect.ts'
import { migrate } from '../../examples/store-api/src/db/migrate.ts'
import { seed } from '../../examples/store-api/src/db/seed.ts'
import { createLogger } from '../../examples/store-api/src/runtime.ts'
import { CacheManager, memoryStore } from '../../packages/cache-kit/src/index.ts'

const home = mkdtempSync(join(tmpdir(), 'hp-bench-overhead-'))
const db = connectDatabase({ client: 'sqlite', filename: join(home, 'store.sqlite'), embedded: true })
await migrate(db)
const seeded = await seed(db, { companies: 1, productsPerCompany: 50 })
const company = seeded.companies[0]
if (!company) throw new Error('seed made no company')
const product = (await db('products').where('company_id', company.id).orderBy('id').first('id')) as {
  id: number
}

// Log lines go to /dev/null through pino's own destination (what `serve` uses for stdout), so the
// cost measured is building and writing each line, not a terminal or the benchmark's pipe.
const sink = () => pino.destination({ dest: '/dev/null', minLength: 0 })

function storeApi(level: string | undefined): Express {
  const cache = new CacheManager({ store: memoryStore(), prefix: `overhead-${level ?? 'none'}` })
  return createApp({
    db,
    cache,
    adminToken: 'bench-admin-token-0123456789',
    cursorSecret: 'bench-cursor-secret-0123456789',
    registry: new Registry(),
    ...(level ? { logger: createLogger(level, sink()) } : {}),
  })
}

// The same body the store API's cached product detail answers, sent by a bare app.
const productBody = await (async () => {
  const app = storeApi(undefined)
  const s = app.listen(0, '127.0.0.1')
  await new Promise((r) => s.once('listening', r))
  const res = await fetch(
    `http://127.0.0.1:${(s.address() as AddressInfo).port}/api/products/${product.id}`,
    {
      headers: { authorization: `Bearer ${company.apiKey}` },
    },
  )
  const body = (await res.json()) as unknown
  s.close()
  return body
})()

const bare = express()
bare.disable('x-powered-by')
bare.get('/health', (_req, res) => {
  res.json({ status: 'ok' })
})
bare.get('/api/products/:id', (_req, res) => {
  res.json(productBody)
})

const variants: Record<string, Express> = {
  'bare express': bare,
  'store-api, LOG_LEVEL=info': storeApi('info'),
  'store-api, LOG_LEVEL=warn': storeApi('warn'),
  'store-api, no logger': storeApi(undefined),
}

const control = express()
control.get('/cpu', (_req, res) => {
  const u = process.cpuUsage()
  res.json({ micros: u.user + u.system })
})

const ports: Record<string, number | string> = {}
for (const [name, app] of Object.entries({ ...variants, _control: control })) {
  const s = app.listen(0, '127.0.0.1')
  await new Promise((r) => s.once('listening', r))
  ports[name] = (s.address() as AddressInfo).port
}
ports._key = company.apiKey
ports._product = product.id
process.stdout.write(`${JSON.stringify(ports)}\n`)

async function cleanup() {
  await db.destroy()
  rmSync(home, { recursive: true, force: true })
  process.exit(0)
}
process.on('SIGTERM', cleanup)
process.on('SIGINT', cleanup)
