import { z } from 'zod'

/** A positive integer id given as a query parameter (`?category=3`). */
export const idParam = z.coerce.number().int().positive()

/** `true`/`false`/`1`/`0` as a query parameter. */
export const boolParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')

/** A decimal amount as a query parameter (`?min_price=9.99`). */
export const moneyParam = z.coerce.number().nonnegative().finite()

/** An ISO 8601 date or date-time as a query parameter. */
export const dateParam = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((v) => new Date(v))

/** A decimal amount in a body: a number or a decimal string, at most 2 places. */
export const moneyBody = z
  .union([z.number(), z.string()])
  .transform((v) => String(v))
  .refine((v) => /^\d{1,10}(\.\d{1,2})?$/.test(v), 'must be a non-negative amount with at most 2 decimals')
