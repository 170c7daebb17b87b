import { expect, it } from 'vitest'
import { call, newCompany, results } from './support/client.js'
import { populate } from './support/fixtures.js'
import { useStack } from './support/stack.js'

// Two app instances (each with its own pool and its own L1 cache tier) behind one MariaDB and one Redis,
// reached under one public host name as a load balancer would present them.
const stack = useStack('mysql+redis')

it('instances share cached responses, and a write on one is visible on the other’s next read', async () => {
  const other = await stack.another()
  const company = await newCompany(() => stack.url, 'Twin')
  const d = await populate(company.api, 'T', 3)
  const path = `/api/products?ordering=name&category=${d.categories[0]}`
  const headers = { host: 'shop.example' }
  const get = (base: string) => call(base, path, { key: company.api.key, headers })
  const patch = (base: string, id: unknown, name: string) =>
    call(base, `/api/products/${id}`, { method: 'PATCH', key: company.api.key, headers, body: { name } })
  const entries = async () =>
    (await stack.redis?.client.keys(`${stack.cachePrefix}:*/api/products?*`))?.length ?? 0

  const first = await get(stack.url)
  expect(first.headers.get('x-cache')).toBe('MISS')
  // The response is sent before it is stored: wait until the entry is in Redis.
  await expect.poll(entries).toBeGreaterThan(0)
  const onOther = await get(other.url)
  expect(onOther.headers.get('x-cache')).toBe('HIT')
  expect(onOther.text).toBe(first.text)
  expect((await get(other.url)).headers.get('x-cache')).toBe('HIT')

  const target = results(first)[0]?.id
  expect((await patch(stack.url, target, 'T renamed on one')).status).toBe(200)
  const fresh = await get(other.url) // its L1 copy was dropped by the bus message
  expect(fresh.headers.get('x-cache')).toBe('MISS')
  expect(results(fresh).map((r) => r.name)).toContain('T renamed on one')

  await get(stack.url) // instance one caches the new page in its L1…
  expect((await patch(other.url, target, 'T renamed on two')).status).toBe(200)
  expect(results(await get(stack.url)).map((r) => r.name)).toContain('T renamed on two') // …and drops it

  const body = { name: 'Once', sku: 'ONCE', sale_price: 1 }
  const idem = { ...headers, 'idempotency-key': 'twin-1' }
  const created = await call(stack.url, '/api/products', {
    method: 'POST',
    key: company.api.key,
    headers: idem,
    body,
  })
  const replayed = await call(other.url, '/api/products', {
    method: 'POST',
    key: company.api.key,
    headers: idem,
    body,
  })
  expect(replayed.headers.get('idempotent-replayed')).toBe('true')
  expect(replayed.body).toEqual(created.body)
})
