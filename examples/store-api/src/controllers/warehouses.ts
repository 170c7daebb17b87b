import { z } from 'zod'
import { ID } from '../api/json-fields.js'
import { toInt } from '../db/values.js'
import type { CrudResource } from './crud-controller.js'

const create = z.strictObject({
  name: z.string().trim().min(1).max(255),
  city: z.string().trim().min(1).max(128),
})
const filters = z.object({ city: z.string().min(1).max(128).optional() })
/** A warehouse as the API sends it. */
const row = z.object({ id: ID, name: create.shape.name, city: create.shape.city })

/** Warehouses (the report's Entrepot): stock is held per product and warehouse. */
export const warehousesResource: CrudResource<z.output<typeof filters>, typeof row> = {
  resource: 'warehouses',
  singular: 'warehouse',
  table: 'warehouses',
  columns: ['id', 'name', 'city'],
  create,
  update: create.partial(),
  list: {
    resource: 'warehouses',
    strategy: 'optimized',
    ordering: ['name', 'city', 'id'],
    defaultOrdering: ['name'],
    filters,
  },
  applyFilters: (q, f) => (f.city === undefined ? q : q.where('city', f.city)),
  row: { name: 'Warehouse', schema: row },
  serialize: (r) => ({ id: toInt(r.id), name: String(r.name), city: String(r.city) }),
  shownBy: ['stocks', 'stock-movements'],
}
