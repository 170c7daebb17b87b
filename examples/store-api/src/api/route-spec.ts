import type { RequestHandler } from 'express'
import type { Knex } from 'knex'
import type { z } from 'zod'

/** The paginator strategy a list uses (see `@hotpath/paginate`). */
export type ListStrategy = 'optimized' | 'cached' | 'smart' | 'fast'

/** How a list route pages: its default strategy and the orderings it accepts. */
export interface ListSpec {
  /** The resource listed: its company tag also tags the paginator's cached counts. */
  readonly resource: ResourceName
  readonly strategy: ListStrategy
  readonly ordering: readonly string[]
  readonly defaultOrdering: readonly string[]
  /** Filters (query parameters besides the paging ones). */
  readonly filters: z.ZodObject
  /**
   * MySQL/MariaDB keyset hint (`FORCE INDEX`): the company-leading index of the default ordering,
   * used when the request keeps that ordering and filters on none of `unlessFilters`.
   */
  readonly seekIndex?: { readonly name: string; readonly unlessFilters: readonly string[] }
  /**
   * To-one joins for the page's rows only (the paginator's `lookups`): the count, the page's key
   * query and the boundaries then scan the listed table's indexes alone.
   */
  readonly lookups?: (query: Knex.QueryBuilder) => void
}

/** A zod schema and the name it has in the OpenAPI document's `components.schemas` (`Product`). */
export interface NamedSchema {
  readonly name: string
  readonly schema: z.ZodType
}

/**
 * One route of the API. The router registers exactly these, and `/api/docs` is generated from the
 * same table, so the OpenAPI document cannot drift from what the server answers.
 */
export interface RouteSpec {
  readonly method: 'get' | 'post' | 'patch' | 'delete'
  /** Express path syntax (`/api/products/:id`); OpenAPI gets `{id}`. */
  readonly path: string
  readonly operationId: string
  readonly summary: string
  readonly tag: string
  readonly auth: 'api_key' | 'admin' | 'none'
  readonly body?: z.ZodType
  readonly list?: ListSpec
  /**
   * The JSON body of the success response: for a list, the type of its `results` items (the page
   * envelope is added around it). The handler's serializer returns `z.output` of the same schema.
   */
  readonly returns?: NamedSchema
  /** The success response's media type when it is not JSON (`text/html`). */
  readonly mediaType?: string
  /** Error statuses that answer the `returns` body rather than the error body (`/ready`'s 503). */
  readonly sameBodyOn?: readonly number[]
  /** Response cache TTL, when the read is cached (documented as `X-Cache`). */
  readonly cacheTtl?: string
  /** POST accepting `Idempotency-Key`. */
  readonly idempotent?: boolean
  /** Status → description, besides the errors every route may give. */
  readonly responses: Readonly<Record<number, string>>
  readonly handler: RequestHandler
}

/** Resources whose cached reads a write can make stale. */
export type ResourceName =
  | 'shops'
  | 'categories'
  | 'suppliers'
  | 'warehouses'
  | 'products'
  | 'stocks'
  | 'stock-movements'
  | 'invoices'
