import { z } from 'zod'
import { boolParam } from '../api/filters.js'
import { toBool, toInt, toIso } from '../db/values.js'
import type { CrudResource } from './crud-controller.js'

const create = z.strictObject({
  name: z.string().trim().min(1).max(255),
  city: z.string().trim().min(1).max(128),
  is_active: z.boolean().optional(),
})
const filters = z.object({ city: z.string().min(1).max(128).optional(), is_active: boolParam.optional() })

/** Shops (the report's Boutique): invoices are issued by a shop. */
export const shopsResource: CrudResource<z.output<typeof filters>> = {
  resource: 'shops',
  singular: 'shop',
  table: 'shops',
  columns: ['id', 'name', 'city', 'is_active', 'created_at'],
  create,
  update: create.partial(),
  list: {
    resource: 'shops',
    strategy: 'optimized',
    ordering: ['name', 'city', 'created_at', 'id'],
    defaultOrdering: ['name'],
    filters,
  },
  applyFilters: (q, f) => {
    if (f.city !== undefined) q.where('city', f.city)
    if (f.is_active !== undefined) q.where('is_active', f.is_active)
    return q
  },
  serialize: (r) => ({
    id: toInt(r.id),
    name: r.name,
    city: r.city,
    is_active: toBool(r.is_active),
    created_at: toIso(r.created_at),
  }),
  shownBy: ['invoices'],
  onInsert: () => ({ created_at: new Date() }),
}
