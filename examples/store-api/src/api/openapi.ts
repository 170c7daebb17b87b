import { z } from 'zod'
import type { ListSpec, RouteSpec } from './route-spec.js'

/** An OpenAPI 3.1 document (kept loose: it is produced here and only serialised). */
export type OpenApiDocument = Record<string, unknown> & { paths: Record<string, Record<string, unknown>> }

/** Express `/api/products/:id` → OpenAPI `/api/products/{id}`. */
export function toOpenApiPath(path: string): string {
  return path.replace(/:(\w+)/g, '{$1}')
}

function jsonSchema(schema: z.ZodType): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>
  delete s.$schema
  return s
}

const errorRef = { $ref: '#/components/schemas/Error' }
const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: errorRef } },
})

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
      schema: jsonSchema(schema as z.ZodType),
      description: `Filter: ${name}`,
    })
  }
  return params
}

function operation(route: RouteSpec): Record<string, unknown> {
  const responses: Record<string, unknown> = {}
  for (const [status, description] of Object.entries(route.responses)) {
    const n = Number(status)
    if (n >= 400) responses[status] = errorResponse(description)
    else if (n === 204) responses[status] = { description }
    else if (route.list) {
      const envelope = route.list.strategy === 'fast' ? 'KeysetPage' : 'NumberedPage'
      responses[status] = {
        description: `${description} (strategy \`${route.list.strategy}\`)`,
        headers: { Link: { schema: { type: 'string' }, description: 'RFC 8288 next/prev links' } },
        content: { 'application/json': { schema: { $ref: `#/components/schemas/${envelope}` } } },
      }
    } else
      responses[status] = { description, content: { 'application/json': { schema: { type: 'object' } } } }
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
  if (route.list) responses['400'] ??= errorResponse('Bad page, page_size, cursor, ordering or filter')
  if (route.list && route.list.strategy !== 'fast') responses['404'] ??= errorResponse('Page past the end')
  if (route.body) {
    responses['400'] ??= errorResponse(
      'malformed_json, body_too_deep (over 32 levels) or invalid_body (a compressed body that does not inflate)',
    )
    responses['413'] = errorResponse('Body over 1 MiB')
    responses['415'] = errorResponse(
      'unsupported_encoding (Content-Encoding) or unsupported_charset (not UTF-8)',
    )
    responses['422'] = errorResponse('validation_failed, with details')
  }
  if (route.auth !== 'none') responses['401'] = errorResponse('Missing or wrong bearer token')
  if (route.auth === 'api_key')
    responses['429'] = errorResponse(
      'rate_limited: over RATE_LIMIT requests per minute for this API key (see Retry-After)',
    )
  if (route.path.startsWith('/api/')) responses['503'] = errorResponse('The database is unavailable')

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
            content: { 'application/json': { schema: jsonSchema(route.body) } },
          },
        }
      : {}),
    responses,
    security:
      route.auth === 'api_key' ? [{ apiKey: [] }] : route.auth === 'admin' ? [{ adminToken: [] }] : [],
  }
}

/** Builds the OpenAPI 3.1 document from the route table the router registers. */
export function buildOpenApi(routes: readonly RouteSpec[]): OpenApiDocument {
  const paths: Record<string, Record<string, unknown>> = {}
  for (const route of routes) {
    const p = toOpenApiPath(route.path)
    paths[p] ??= {}
    paths[p][route.method] = operation(route)
  }
  const results = { type: 'array', items: { type: 'object' } }
  const link = { type: ['string', 'null'], format: 'uri' }
  return {
    openapi: '3.1.0',
    info: {
      title: 'hotpath store API',
      version: '0.1.0',
      description:
        'The reference store back office of hotpath: every /api route except /api/admin needs ' +
        '`Authorization: Bearer <api key>` and is scoped to the key’s company (another company’s id is a 404).',
    },
    paths,
    components: {
      securitySchemes: {
        apiKey: { type: 'http', scheme: 'bearer', description: 'A company API key (sk_…)' },
        adminToken: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN' },
      },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string' },
                message: { type: 'string' },
                details: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: { path: { type: 'string' }, message: { type: 'string' } },
                  },
                },
              },
            },
          },
        },
        NumberedPage: {
          type: 'object',
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
            count: { type: 'integer' },
            count_is_estimate: { type: 'boolean' },
            page: { type: 'integer' },
            page_size: { type: 'integer' },
            total_pages: { type: 'integer' },
            next: link,
            previous: link,
            results,
          },
        },
        KeysetPage: {
          type: 'object',
          required: ['page_size', 'next_cursor', 'previous_cursor', 'next', 'previous', 'results'],
          properties: {
            page_size: { type: 'integer' },
            next_cursor: { type: ['string', 'null'] },
            previous_cursor: { type: ['string', 'null'] },
            next: link,
            previous: link,
            results,
          },
        },
      },
    },
  }
}
