import { z } from 'zod'
import { toInt } from '../db/values.js'
import type { CrudResource } from './crud-controller.js'

const create = z.strictObject({
  name: z.string().trim().min(1).max(255),
  city: z.string().trim().min(1).max(128),
})
const filters = z.object({ city: z.string().min(1).max(128).optional() })

/** Warehouses (the report's Entrepot): stock is held per product and warehouse. */
export const warehousesResource: CrudResource<z.output<typeof filters>> = {
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
  serialize: (r) => ({ id: toInt(r.id), name: r.name, city: r.city }),
  shownBy: ['stocks', 'stock-movements'],
}
