import { STORE_COLUMN_LIMITS } from '@hotpath/schema'
import { z } from 'zod'

// Every bound below comes from the schema's column definitions: no accepted value overflows a column.
const { price, integerMax } = STORE_COLUMN_LIMITS

/** A positive integer id given as a query parameter (`?category=3`), within the id columns' range. */
export const idParam = z.coerce.number().int().positive().max(integerMax)

/** A row id in a body: a positive integer within the id columns' range. */
export const idBody = z.number().int().positive().max(integerMax)

/** A quantity in a body: a whole number the integer columns hold (the route narrows the sign). */
export const quantityBody = z.number().int().min(-integerMax).max(integerMax)

/** `true`/`false`/`1`/`0` as a query parameter. */
export const boolParam = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1')

/** A decimal amount as a query parameter (`?min_price=9.99`). */
export const moneyParam = z.coerce.number().nonnegative().finite()

/** An ISO 8601 date or date-time as a query parameter. */
export const dateParam = z.iso
  .datetime({ offset: true })
  .or(z.iso.date())
  .transform((v) => new Date(v))

const PRICE = new RegExp(`^\\d{1,${price.precision - price.scale}}(\\.\\d{1,${price.scale}})?$`)

/** A price in a body: a number or a decimal string that the price columns hold (`decimal(12,2)`). */
export const moneyBody = z
  .union([z.number(), z.string()])
  .transform((v) => String(v))
  .refine(
    (v) => PRICE.test(v),
    `must be a non-negative amount below 10^${price.precision - price.scale} with at most ${price.scale} decimals`,
  )
