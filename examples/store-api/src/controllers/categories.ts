import { z } from 'zod'
import { ID } from '../api/json-fields.js'
import { toInt } from '../db/values.js'
import type { CrudResource } from './crud-controller.js'

const create = z.strictObject({ name: z.string().trim().min(1).max(255) })
const filters = z.object({ search: z.string().min(1).max(255).optional() })
/** A category as the API sends it. */
const row = z.object({ id: ID, name: create.shape.name })

/** Product categories (the report's Categorie). */
export const categoriesResource: CrudResource<z.output<typeof filters>, typeof row> = {
  resource: 'categories',
  singular: 'category',
  table: 'categories',
  columns: ['id', 'name'],
  create,
  update: create.partial(),
  list: {
    resource: 'categories',
    strategy: 'optimized',
    ordering: ['name', 'id'],
    defaultOrdering: ['name'],
    filters,
  },
  applyFilters: (q, f) =>
    f.search === undefined ? q : q.where('name', 'like', `${f.search.replace(/[%_]/g, '')}%`),
  row: { name: 'Category', schema: row },
  serialize: (r) => ({ id: toInt(r.id), name: String(r.name) }),
  shownBy: ['products'],
}
