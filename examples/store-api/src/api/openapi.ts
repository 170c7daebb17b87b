import { z } from 'zod'
import type { ListSpec, RouteSpec } from './route-spec.js'

/** An OpenAPI 3.1 document (kept loose: it is produced here and only serialised). */
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> }

/** Express `/api/products/:id` → OpenAPI `/api/products/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}')
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>
  delete s.$schema
  return s
}

const schemaRef = (name: string) => ({ $ref: `#/components/schemas/${name}` })
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: schemaRef('Error') } },
})
// Absolute when the server knows its public origin, else relative (`?page=2&page_size=50`).
const link = { type: ['string', 'null'], format: 'uri-reference' }

/** The two page envelopes of a list whose rows are `row`: numbered and keyset. */
function pageSchemas(row: string): Record<string, Record<string, unknown>> {
  const results = { type: 'array', items: schemaRef(row) }
  return {
    [`${row}Page`]: {
      type: 'object',
      description: `A numbered page of ${row} rows (strategies optimized, cached, smart)`,
      required: [
        'count',
        'count_is_estimate',
        'page',
        'page_size',
        'total_pages',
        'next',
        'previous',
        'results',
      ],
      properties: {
        count: { type: 'integer', minimum: 0 },
        count_is_estimate: { type: 'boolean' },
        page: { type: 'integer', minimum: 1 },
        page_size: { type: 'integer', minimum: 1, maximum: 100 },
        total_pages: { type: 'integer', minimum: 1 },
        next: link,
        previous: link,
        results,
      },
      additionalProperties: false,
    },
    [`${row}KeysetPage`]: {
      type: 'object',
      description: `A keyset page of ${row} rows (strategy fast): follow next_cursor / previous_cursor`,
      required: ['page_size', 'next_cursor', 'previous_cursor', 'next', 'previous', 'results'],
      properties: {
        page_size: { type: 'integer', minimum: 1, maximum: 100 },
        next_cursor: { type: ['string', 'null'] },
        previous_cursor: { type: ['string', 'null'] },
        next: link,
        previous: link,
        results,
      },
      additionalProperties: false,
    },
  }
}

function listParameters(list: ListSpec): Record<string, unknown>[] {
  const keyset = list.strategy === 'fast'
  const params: Record<string, unknown>[] = [
    {
      name: 'page',
      in: 'query',
      schema: { type: 'integer', minimum: 1 },
      description: keyset
        ? 'Walks this keyset list by page number instead (numbered envelope, exact count)'
        : 'Page number from 1; past the end: 404 invalid_page',
    },
    {
      name: 'page_size',
      in: 'query',
      schema: { type: 'integer', minimum: 1, default: 50 },
      description: 'Default 50; larger than 100 is clamped to 100',
    },
    {
      name: 'cursor',
      in: 'query',
      schema: { type: 'string' },
      description: keyset
        ? 'Opaque, signed cursor from next_cursor / previous_cursor (not with page)'
        : 'Keyset walk of this list: `cursor=` (empty) starts it, then next_cursor / previous_cursor (keyset envelope, no count)',
    },
    {
      name: 'ordering',
      in: 'query',
      schema: { type: 'string' },
      description: `Comma list of ${list.ordering.join(', ')}; '-' for descending; default ${list.defaultOrdering.join(',')}; unknown field: 400`,
    },
  ]
  for (const [name, schema] of Object.entries(list.filters.shape)) {
    params.push({
      name,
      in: 'query',
      schema: jsonSchema(schema as z.ZodType, 'input'),
      description: `Filter: ${name}`,
    })
  }
  return params
}

/** The success body of `route`: a list's two envelopes (its default first), its row, or a media type. */
function successContent(route: RouteSpec): Record<string, unknown> {
  if (route.list && route.returns) {
    const row = route.returns.name
    const envelopes = [`${row}Page`, `${row}KeysetPage`]
    if (route.list.strategy === 'fast') envelopes.reverse()
    return { 'application/json': { schema: { oneOf: envelopes.map(schemaRef) } } }
  }
  if (route.returns) return { 'application/json': { schema: schemaRef(route.returns.name) } }
  if (route.mediaType) return { [route.mediaType]: { schema: { type: 'string' } } }
  return { 'application/json': { schema: { type: 'object' } } }
}

function operation(route: RouteSpec): Record<string, unknown> {
  const responses: Record<string, unknown> = {}
  for (const [status, description] of Object.entries(route.responses)) {
    const n = Number(status)
    if (n >= 400 && !route.sameBodyOn?.includes(n)) responses[status] = errorResponse(description)
    else if (n === 204) responses[status] = { description }
    else if (route.list) {
      responses[status] = {
        description: `${description} (strategy \`${route.list.strategy}\`; \`cursor\` gives the keyset page, \`page\` the numbered one)`,
        headers: { Link: { schema: { type: 'string' }, description: 'RFC 8288 next/prev links' } },
        content: successContent(route),
      }
    } else responses[status] = { description, content: successContent(route) }
  }
  if (route.cacheTtl) {
    responses['304'] = { description: 'If-None-Match matched the current ETag: no body' }
    const ok = responses['200'] as Record<string, unknown>
    ok.headers = {
      ...(ok.headers as Record<string, unknown> | undefined),
      'X-Cache': { schema: { type: 'string', enum: ['HIT', 'MISS', 'STALE', 'BYPASS'] } },
      ETag: { schema: { type: 'string' } },
    }
  }
  const addError = (status: number, description: string) => {
    const known = (responses[status] as { description?: string } | undefined)?.description
    responses[status] = errorResponse(known ? `${known}; ${description}` : description)
  }
  if (route.list) {
    addError(400, 'bad page, page_size, cursor, ordering or filter')
    addError(404, 'page past the end (walking by page number)')
  }
  if (route.body) {
    addError(413, 'body over 1 MiB')
    addError(422, 'validation_failed, with details')
  }
  if (route.idempotent) {
    addError(409, 'a request with this Idempotency-Key is still running')
    addError(422, 'idempotency_key_reused: the Idempotency-Key came with another body')
  }
  // Every route reads a JSON body when one is sent (after authentication, where it has one).
  addError(
    400,
    'malformed_json, body_too_deep (over 32 levels) or invalid_body (a compressed body that does not inflate)',
  )
  addError(415, 'unsupported_encoding (Content-Encoding) or unsupported_charset (not UTF-8)')
  if (route.auth !== 'none') {
    addError(401, 'missing or wrong bearer token')
    addError(503, 'the database is unavailable')
  }
  if (route.auth === 'api_key')
    addError(429, 'rate_limited: over RATE_LIMIT requests per minute for this API key (see Retry-After)')

  const parameters: Record<string, unknown>[] = []
  for (const m of route.path.matchAll(/:(\w+)/g)) {
    parameters.push({ name: m[1], in: 'path', required: true, schema: { type: 'integer', minimum: 1 } })
  }
  if (route.list) parameters.push(...listParameters(route.list))
  if (route.idempotent) {
    parameters.push({
      name: 'Idempotency-Key',
      in: 'header',
      schema: { type: 'string', maxLength: 255 },
      description:
        'Same key + same body within 24 h: the first response again (Idempotent-Replayed: true), nothing written; ' +
        'another body: 422 idempotency_key_reused; first request still running: 409',
    })
  }
  if (route.cacheTtl) {
    parameters.push(
      { name: 'If-None-Match', in: 'header', schema: { type: 'string' } },
      {
        name: 'Cache-Control',
        in: 'header',
        schema: { type: 'string' },
        description: 'no-cache bypasses the cache',
      },
    )
  }
  return {
    operationId: route.operationId,
    summary: route.summary,
    tags: [route.tag],
    ...(route.cacheTtl ? { description: `Cached ${route.cacheTtl} per company; writes invalidate it.` } : {}),
    ...(parameters.length ? { parameters } : {}),
    ...(route.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: jsonSchema(route.body, 'input') } },
          },
        }
      : {}),
    responses,
    security:
      route.auth === 'api_key' ? [{ apiKey: [] }] : route.auth === 'admin' ? [{ adminToken: [] }] : [],
  }
}

/** The error body of every 4xx and 5xx answer (the contract's `{ error: { code, message, details? } }`). */
const ERROR_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: {
          type: 'string',
          description: 'Stable machine-readable reason (validation_failed, not_found…)',
        },
        message: { type: 'string' },
        details: {
          type: 'array',
          items: {
            type: 'object',
            required: ['path', 'message'],
            properties: { path: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
    },
  },
}

/**
 * Builds the OpenAPI 3.1 document from the route table the router registers: each route's row
 * schema (from the zod schema its serializer returns) becomes a named component, each list gets its
 * page envelopes, every operation lists its error answers with the contract's error body.
 */
export function buildOpenApi(routes: readonly RouteSpec[]): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {}
  const schemas: Record<string, unknown> = { Error: ERROR_SCHEMA }
  for (const route of routes) {
    const p = toOpenApiPath(route.path)
    paths[p] ??= {}
    paths[p][route.method] = operation(route)
    if (route.returns) schemas[route.returns.name] ??= jsonSchema(route.returns.schema, 'output')
    if (route.list && route.returns) Object.assign(schemas, pageSchemas(route.returns.name))
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'hotpath store API',
      version: '0.1.0',
      description:
        'The reference store back office of hotpath: every /api route except /api/admin needs ' +
        '`Authorization: Bearer <api key>` and is scoped to the key’s company (another company’s id is a 404).',
      license: { name: 'MIT', identifier: 'MIT' },
    },
    servers: [{ url: '/', description: 'The server that serves this document' }],
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A company API key (sk_…)' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
      },
      schemas,
    },
  }
}
