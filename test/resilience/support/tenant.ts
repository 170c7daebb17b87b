import { bodyOf, type HttpResponse, send } from './http-client.js'
import { ADMIN_TOKEN } from './store-process.js'

/** A product as the suite created it: the fields every later read must show unchanged. */
export interface ProductSeed {
  readonly id: number
  readonly name: string
  readonly sku: string
}

/** A company made through the API, with a small catalogue of its own. */
export interface Tenant {
  readonly companyId: number
  readonly key: string
  /** `Authorization` header for this company. */
  readonly auth: Record<string, string>
  readonly warehouseId: number
  readonly categoryId: number
  readonly shopId: number
  /** In creation order (ascending ids). */
  readonly products: readonly ProductSeed[]
}

/** The base price of every product the suite creates; price writes set `BASE_PRICE + version`. */
export const BASE_PRICE = 100

function expectStatus(res: HttpResponse, status: number, what: string): Record<string, unknown> {
  if (res.status !== status) throw new Error(`${what}: expected ${status}, got ${res.status} ${res.text}`)
  return bodyOf(res) as Record<string, unknown>
}

/** Creates a company through `POST /api/admin/companies` and returns its API key. */
export async function createCompany(
  origin: string,
  tag: string,
): Promise<{ companyId: number; key: string }> {
  const res = await send(origin, {
    method: 'POST',
    path: '/api/admin/companies',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    json: { name: `Company ${tag}`, email: `${tag}-${process.pid}-${Date.now()}@resilience.test` },
  })
  const body = expectStatus(res, 201, 'create company')
  const company = body.company as { id: number }
  return { companyId: company.id, key: String(body.api_key) }
}

/**
 * Creates a company with one warehouse, category and shop and `products` products named
 * `<tag> product <n>` at {@link BASE_PRICE}, all through the API.
 */
export async function createTenant(origin: string, tag: string, products: number): Promise<Tenant> {
  const { companyId, key } = await createCompany(origin, tag)
  const auth = { authorization: `Bearer ${key}` }
  const post = async (path: string, json: unknown) =>
    expectStatus(await send(origin, { method: 'POST', path, headers: auth, json }), 201, `POST ${path}`)
  const warehouse = await post('/api/warehouses', { name: `${tag} warehouse`, city: 'Lyon' })
  const category = await post('/api/categories', { name: `${tag} category` })
  const shop = await post('/api/shops', { name: `${tag} shop`, city: 'Lyon' })
  const seeds: ProductSeed[] = []
  for (let n = 0; n < products; n++) {
    const name = `${tag} product ${String(n).padStart(4, '0')}`
    const sku = `${tag}-${n}`
    const p = await post('/api/products', {
      name,
      sku,
      category_id: category.id,
      sale_price: BASE_PRICE.toFixed(2),
    })
    seeds.push({ id: Number(p.id), name, sku })
  }
  return {
    companyId,
    key,
    auth,
    warehouseId: Number(warehouse.id),
    categoryId: Number(category.id),
    shopId: Number(shop.id),
    products: seeds,
  }
}
