import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { useDatabase, useRedisCluster } from '@hotpath/test-services'
import { Cluster } from 'ioredis'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { createApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'
import { migrate } from '../src/db/migrate.js'
import { openRuntime, type Runtime } from '../src/runtime.js'
import { call, newCompany, type Reply, results } from './support/client.js'
import { populate } from './support/fixtures.js'
import { ADMIN_TOKEN } from './support/stack.js'

// The cached routes on a three-master Redis Cluster, configured as an operator would
// (REDIS_CLUSTER_NODES), with two instances on one MariaDB, each with its L1 tier and the bus.
const space = useDatabase('mysql')
const cluster = useRedisCluster()
const instances: { url: string; runtime: Runtime; close(): Promise<void> }[] = []

async function start(): Promise<string> {
  const config = loadConfig({
    DATABASE_URL: space.url(),
    REDIS_CLUSTER_NODES: cluster.nodes.join(','),
    CACHE_PREFIX: `${cluster.prefix}api`,
    ADMIN_TOKEN,
    CURSOR_SECRET: 'cluster-cursor-secret-0123456789',
    LOG_LEVEL: 'silent',
  })
  const runtime = await openRuntime(config)
  await migrate(runtime.db)
  const server = createServer()
  server.listen(0, '127.0.0.1')
  await new Promise<void>((resolve) => server.once('listening', () => resolve()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  server.on('request', createApp(runtime.deps, { publicUrl: url }))
  const close = async () => {
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
    await runtime.close()
  }
  instances.push({ url, runtime, close })
  return url
}

/** Cache keys of this file on every master of the cluster. */
async function storedKeys(client: Cluster, match: string): Promise<string[]> {
  const keys: string[] = []
  for (const node of client.nodes('master')) {
    let cursor = '0'
    do {
      const [next, batch] = await node.scan(cursor, 'MATCH', `${cluster.prefix}api${match}`, 'COUNT', 1000)
      cursor = next
      keys.push(...batch)
    } while (cursor !== '0')
  }
  return keys
}

let a = ''
let b = ''
beforeAll(async () => {
  a = await start()
  b = await start()
})
afterAll(async () => {
  for (const i of instances.splice(0)) await i.close()
})

it('the service builds a Cluster client from REDIS_CLUSTER_NODES and its cache runs on it', () => {
  const redis = instances[0]?.runtime.redis
  expect(redis).toBeInstanceOf(Cluster)
  expect((redis as Cluster).nodes('master')).toHaveLength(3)
  expect(redis?.status).toBe('ready')
})

it('cached product and stock routes: MISS then HIT on both instances, and the next read after a write (on the other instance) is fresh', async () => {
  const company = await newCompany(() => a, 'Cluster')
  const d = await populate(company.api, 'K', 4)
  const key = company.api.key
  const get = (base: string, path: string) => call(base, path, { key, headers: { host: 'shop.example' } })
  const list = '/api/products?ordering=name'
  const detail = `/api/products/${d.products[1]}`
  const stocks = `/api/stocks?product=${d.products[1]}`
  const prices = (r: Reply) => results(r).map((p) => p.sale_price)

  // Stock the product first, so the stock list has a row to show.
  const movement = { product_id: d.products[1], warehouse_id: d.warehouses[0], type: 'in', quantity: 7 }
  expect((await call(a, '/api/stock-movements', { method: 'POST', key, body: movement })).status).toBe(201)

  for (const path of [list, detail, stocks]) {
    expect((await get(a, path)).headers.get('x-cache')).toBe('MISS')
  }
  // Responses are stored after they are sent: wait until the three are in the cluster.
  await expect
    .poll(async () => (await storedKeys(cluster.client, '*')).filter((k) => k.includes('/api/')).length)
    .toBeGreaterThanOrEqual(3)
  for (const path of [list, detail, stocks]) {
    const onB = await get(b, path)
    expect(onB.headers.get('x-cache')).toBe('HIT')
    expect(onB.text).toBe((await get(a, path)).text)
  }
  expect(prices(await get(b, list))).toEqual(['10.50', '11.50', '12.50', '13.50'])

  // A price change on B: A's very next reads of the list and the detail show it.
  const patched = await call(b, detail, { method: 'PATCH', key, body: { sale_price: '99.00' } })
  expect(patched.status).toBe(200)
  const listAfter = await get(a, list)
  expect(listAfter.headers.get('x-cache')).toBe('MISS')
  expect(prices(listAfter)).toEqual(['10.50', '99.00', '12.50', '13.50'])
  const detailAfter = await get(a, detail)
  expect(detailAfter.headers.get('x-cache')).toBe('MISS')
  expect((detailAfter.body as { sale_price: string }).sale_price).toBe('99.00')

  // A stock movement on A: B's next stock read shows the new quantity.
  expect((await get(b, stocks)).headers.get('x-cache')).toBe('HIT')
  const out = { ...movement, type: 'out', quantity: 3 }
  expect((await call(a, '/api/stock-movements', { method: 'POST', key, body: out })).status).toBe(201)
  const stockAfter = await get(b, stocks)
  expect(stockAfter.headers.get('x-cache')).toBe('MISS')
  expect(results(stockAfter).map((s) => s.quantity)).toEqual([4])
})
