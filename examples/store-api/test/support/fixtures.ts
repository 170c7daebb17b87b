import type { Client } from './client.js'

/** Rows one company owns in the suite. */
export interface CompanyData {
  readonly categories: number[]
  readonly suppliers: number[]
  readonly warehouses: number[]
  readonly shops: number[]
  readonly products: number[]
}

function idOf(body: unknown): number {
  const id = (body as { id?: unknown } | undefined)?.id
  if (typeof id !== 'number') throw new Error(`no id in ${JSON.stringify(body)}`)
  return id
}

/** Creates two of each lookup row and `products` products (through the API) for one company. */
export async function populate(api: Client, tag: string, products = 12): Promise<CompanyData> {
  const make = async (path: string, bodies: unknown[]) => {
    const ids: number[] = []
    for (const b of bodies) {
      const r = await api.post(path, b)
      if (r.status !== 201) throw new Error(`POST ${path}: ${r.status} ${r.text}`)
      ids.push(idOf(r.body))
    }
    return ids
  }
  const categories = await make('/api/categories', [{ name: `${tag} Tools` }, { name: `${tag} Garden` }])
  const suppliers = await make('/api/suppliers', [
    { name: `${tag} Supply`, email: `s1@${tag.toLowerCase()}.test` },
    { name: `${tag} Parts`, email: `s2@${tag.toLowerCase()}.test` },
  ])
  const warehouses = await make('/api/warehouses', [
    { name: `${tag} North`, city: 'Lille' },
    { name: `${tag} South`, city: 'Nice' },
  ])
  const shops = await make('/api/shops', [
    { name: `${tag} Center`, city: 'Paris' },
    { name: `${tag} Mall`, city: 'Lyon' },
  ])
  const productIds = await make(
    '/api/products',
    Array.from({ length: products }, (_, i) => ({
      name: `${tag} product ${String(i).padStart(3, '0')}`,
      sku: `${tag}-${i}`,
      category_id: categories[i % 2],
      supplier_id: suppliers[i % 2],
      sale_price: `${10 + i}.50`,
      cost_price: '5.00',
      is_active: i % 3 !== 0,
    })),
  )
  return { categories, suppliers, warehouses, shops, products: productIds }
}
