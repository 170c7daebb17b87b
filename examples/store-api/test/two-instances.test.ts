import { describe, expect, it } from 'vitest'
import { call, newCompany, type Reply, results } from './support/client.js'
import { populate } from './support/fixtures.js'
import { type Stack, useStack } from './support/stack.js'

// Two app instances (each with its own pool and cache manager) behind one MariaDB and one Redis,
// reached under one public host name as a load balancer would present them.
async function twins(stack: Stack, options?: { bus?: boolean }) {
  const other = await stack.another(options)
  const company = await newCompany(() => stack.url, 'Twin')
  const d = await populate(company.api, 'T', 3)
  const path = `/api/products?ordering=name&category=${d.categories[0]}`
  const headers = { host: 'shop.example' }
  const get = (base: string) => call(base, path, { key: company.api.key, headers })
  const rename = (base: string, id: unknown, name: string) =>
    call(base, `/api/products/${id}`, { method: 'PATCH', key: company.api.key, headers, body: { name } })
  const names = (r: Reply) => results(r).map((x) => x.name)
  const entries = async () =>
    (await stack.redis?.client.keys(`${stack.cachePrefix}:*/api/products?*`))?.length ?? 0
  return { other, company, get, rename, names, entries }
}

describe('without L1 (CACHE_L1=off)', () => {
  const stack = useStack('mysql+redis')

  it('instances share entries, and the very next read on B after a write on A sees it', async () => {
    const { other, company, get, rename, names, entries } = await twins(stack)
    const first = await get(stack.url)
    expect(first.headers.get('x-cache')).toBe('MISS')
    // The response is sent before it is stored: wait until the entry is in Redis.
    await expect.poll(entries).toBeGreaterThan(0)
    const onOther = await get(other.url)
    expect(onOther.headers.get('x-cache')).toBe('HIT')
    expect(onOther.text).toBe(first.text)

    const target = results(first)[0]?.id
    for (let round = 1; round <= 5; round++) {
      expect((await rename(round % 2 ? stack.url : other.url, target, `T renamed ${round}`)).status).toBe(200)
      expect(names(await get(round % 2 ? other.url : stack.url))).toContain(`T renamed ${round}`)
      await get(round % 2 ? stack.url : other.url)
    }

    const body = { name: 'Once', sku: 'ONCE', sale_price: 1 }
    const idem = { host: 'shop.example', 'idempotency-key': 'twin-1' }
    const key = company.api.key
    const created = await call(stack.url, '/api/products', { method: 'POST', key, headers: idem, body })
    const replayed = await call(other.url, '/api/products', { method: 'POST', key, headers: idem, body })
    expect(replayed.headers.get('idempotent-replayed')).toBe('true')
    expect(replayed.body).toEqual(created.body)
  })
})

describe('with L1 (the default)', () => {
  const stack = useStack('mysql+redis', { l1: true })

  it('B serves from its L1, and its very next read after a write on A sees the write', async () => {
    const { other, get, rename, names, entries } = await twins(stack)
    const first = await get(stack.url)
    await expect.poll(entries).toBeGreaterThan(0)
    expect((await get(other.url)).headers.get('x-cache')).toBe('HIT') // from Redis, now in B's L1
    const l1Hits = other.cache.stats().l1?.hits ?? 0
    expect((await get(other.url)).headers.get('x-cache')).toBe('HIT')
    expect(other.cache.stats().l1?.hits ?? 0).toBeGreaterThan(l1Hits)

    const target = results(first)[0]?.id
    expect((await rename(stack.url, target, 'T renamed on A')).status).toBe(200)
    // Strict consistency: B's L1 hit checks the tag versions in Redis, so its old copy is never served again.
    expect(names(await get(other.url))).toContain('T renamed on A')
  })
})

describe('with L1 and no bus on B (an invalidation message that never arrives)', () => {
  const stack = useStack('mysql+redis', { l1: true })

  it("B's L1 copy is still never served after a write on A: strict consistency checks its tags in Redis", async () => {
    const { other, get, rename, names, entries } = await twins(stack, { bus: false })
    const first = await get(stack.url)
    await expect.poll(entries).toBeGreaterThan(0)
    expect((await get(other.url)).headers.get('x-cache')).toBe('HIT') // now in B's L1
    const l1Hits = other.cache.stats().l1?.hits ?? 0
    expect((await get(other.url)).headers.get('x-cache')).toBe('HIT')
    expect(other.cache.stats().l1?.hits ?? 0).toBeGreaterThan(l1Hits)

    const target = results(first)[0]?.id
    for (let round = 1; round <= 3; round++) {
      expect((await rename(stack.url, target, `T renamed ${round}`)).status).toBe(200)
      const onB = await get(other.url)
      expect(onB.headers.get('x-cache')).toBe('MISS')
      expect(names(onB)).toContain(`T renamed ${round}`)
      await expect.poll(async () => (await get(other.url)).headers.get('x-cache')).toBe('HIT')
    }
  })
})

describe('instances signing cursors with different secrets', () => {
  const stack = useStack('mysql+redis', { l1: true })

  it('never serve each other’s list pages (their cursors would not verify), and see each other’s writes', async () => {
    const other = await stack.another({ cursorSecret: 'another-cursor-secret-0123456789' })
    const company = await newCompany(() => stack.url, 'Signers')
    const d = await populate(company.api, 'G', 2)
    // One public host name for both, as a load balancer presents them.
    const headers = { host: 'shop.example' }
    const move = (base: string) =>
      call(base, '/api/stock-movements', {
        method: 'POST',
        key: company.api.key,
        headers,
        body: { product_id: d.products[0], warehouse_id: d.warehouses[0], type: 'in', quantity: 1 },
      })
    for (let i = 0; i < 3; i++) expect((await move(stack.url)).status).toBe(201)
    const page = (base: string, cursor?: string) =>
      call(base, `/api/stock-movements?page_size=2${cursor ? `&cursor=${cursor}` : ''}`, {
        key: company.api.key,
        headers,
      })
    const cursorOf = (r: Reply) => (r.body as { next_cursor?: string }).next_cursor as string

    const onA = await page(stack.url)
    expect(onA.headers.get('x-cache')).toBe('MISS')
    await stack.cache.settled()
    expect((await page(stack.url)).headers.get('x-cache')).toBe('HIT')
    // B must not answer with A's page: its next_cursor is signed with A's secret.
    const onB = await page(other.url)
    expect(onB.headers.get('x-cache')).toBe('MISS')
    expect(results(onB)).toEqual(results(onA))
    const next = await page(other.url, cursorOf(onB))
    expect(next.status, next.text).toBe(200)
    expect(results(next)).toHaveLength(1)
    expect((await page(stack.url, cursorOf(onA))).status).toBe(200)

    // Each keeps its own entry, and a write on either drops both.
    await other.cache.settled()
    expect((await page(other.url)).headers.get('x-cache')).toBe('HIT')
    expect((await move(other.url)).status).toBe(201)
    const after = await page(stack.url)
    expect(after.headers.get('x-cache')).toBe('MISS')
    expect(results(after)).toHaveLength(2)
    expect(results(after)[0]?.id).not.toBe(results(onA)[0]?.id)
    expect((await page(other.url)).headers.get('x-cache')).toBe('MISS')
  })
})
