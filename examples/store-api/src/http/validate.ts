import { STORE_COLUMN_LIMITS } from '@hotpath/schema'
import type { z } from 'zod'
import { BadRequestError, type ErrorDetail, ValidationError } from '../errors.js'

function details(error: z.ZodError): ErrorDetail[] {
  return error.issues.map((i) => ({ path: i.path.map(String).join('.') || '(body)', message: i.message }))
}

/** Parses a request body with `schema`, or throws `422 validation_failed` listing every bad field. */
export function parseBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const r = schema.safeParse(body ?? {})
  if (!r.success) throw new ValidationError(details(r.error))
  return r.data
}

/** Parses query parameters (filters) with `schema`, or throws `400 invalid_query`. */
export function parseQuery<S extends z.ZodType>(schema: S, query: unknown): z.output<S> {
  const r = schema.safeParse(query ?? {})
  if (!r.success) {
    const d = details(r.error)
    throw new BadRequestError('invalid_query', d.map((x) => `${x.path}: ${x.message}`).join('; '), d)
  }
  return r.data
}

/** Parses an `:id` route parameter; anything but a positive integer an id column holds is a `404` (no such row). */
export function parseId(raw: unknown): number | undefined {
  if (typeof raw !== 'string' || !/^[1-9]\d{0,9}$/.test(raw)) return undefined
  const id = Number(raw)
  return id <= STORE_COLUMN_LIMITS.integerMax ? id : undefined
}
