import { generateStoreData } from '@hotpath/schema'
import type { Knex } from 'knex'
import { createApiKey } from '../http/api-keys.js'

/** Options of {@link seed}. */
export interface SeedOptions {
  readonly companies: number
  readonly productsPerCompany: number
  readonly seed?: number
  /** Called with the fraction done (0–1). */
  readonly onProgress?: (fraction: number) => void
}

/** What {@link seed} created: one API key per company (shown once). */
export interface SeedResult {
  readonly companies: readonly { readonly id: number; readonly name: string; readonly apiKey: string }[]
  readonly rows: Readonly<Record<string, number>>
}

/**
 * Fills the database with realistic demo data (schema's deterministic generator: shops, categories,
 * suppliers, warehouses, products, stocks whose movements sum to them, invoices) and mints one API
 * key per new company.
 */
export async function seed(db: Knex, options: SeedOptions): Promise<SeedResult> {
  const generated = await generateStoreData(db, {
    seed: options.seed ?? 1,
    companies: options.companies,
    productsPerCompany: options.productsPerCompany,
    ...(options.onProgress
      ? {
          onProgress: (p: { done: number; total: number }) =>
            options.onProgress?.(p.total ? p.done / p.total : 1),
        }
      : {}),
  })
  const companies = []
  for (const id of generated.companyIds) {
    const row = (await db('companies').where({ id }).first('name')) as { name: string } | undefined
    companies.push({ id, name: row?.name ?? `company ${id}`, apiKey: await createApiKey(db, id, 'seed') })
  }
  return { companies, rows: generated.rows }
}
