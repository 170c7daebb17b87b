import { z } from 'zod'
import { boolParam } from '../api/filters.js'
import { ID, TIMESTAMP } from '../api/json-fields.js'
import { toBool, toInt, toTimestamp } from '../db/values.js'
import type { CrudResource } from './crud-controller.js'

const create = z.strictObject({
  name: z.string().trim().min(1).max(255),
  city: z.string().trim().min(1).max(128),
  is_active: z.boolean().optional(),
})
const filters = z.object({ city: z.string().min(1).max(128).optional(), is_active: boolParam.optional() })
/** A shop as the API sends it. */
const row = z.object({
  id: ID,
  name: create.shape.name,
  city: create.shape.city,
  is_active: z.boolean(),
  created_at: TIMESTAMP,
})

/** Shops (the report's Boutique): invoices are issued by a shop. */
export const shopsResource: CrudResource<z.output<typeof filters>, typeof row> = {
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
  row: { name: 'Shop', schema: row },
  serialize: (r) => ({
    id: toInt(r.id),
    name: String(r.name),
    city: String(r.city),
    is_active: toBool(r.is_active),
    created_at: toTimestamp(r.created_at),
  }),
  shownBy: ['invoices'],
  onInsert: () => ({ created_at: new Date() }),
}
