import { z } from 'zod'
import { ID } from '../api/json-fields.js'
import { toInt } from '../db/values.js'
import type { CrudResource } from './crud-controller.js'

const create = z.strictObject({ name: z.string().trim().min(1).max(255), email: z.email().max(255) })
const filters = z.object({ search: z.string().min(1).max(255).optional() })
/** A supplier as the API sends it. */
const row = z.object({ id: ID, name: create.shape.name, email: create.shape.email })

/** Suppliers (the report's Fournisseur). */
export const suppliersResource: CrudResource<z.output<typeof filters>, typeof row> = {
  resource: 'suppliers',
  singular: 'supplier',
  table: 'suppliers',
  columns: ['id', 'name', 'email'],
  create,
  update: create.partial(),
  list: {
    resource: 'suppliers',
    strategy: 'optimized',
    ordering: ['name', 'email', 'id'],
    defaultOrdering: ['name'],
    filters,
  },
  applyFilters: (q, f) =>
    f.search === undefined ? q : q.where('name', 'like', `${f.search.replace(/[%_]/g, '')}%`),
  row: { name: 'Supplier', schema: row },
  serialize: (r) => ({ id: toInt(r.id), name: String(r.name), email: String(r.email) }),
  shownBy: ['products'],
}
