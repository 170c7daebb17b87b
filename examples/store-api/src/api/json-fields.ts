import { z } from 'zod'

/** A row id (a positive integer). */
export const ID = z.int().positive()

/** Money as the API sends it: a decimal string with two places (`"12.50"`), never a float. */
export const MONEY = z.string().regex(/^-?\d+\.\d{2}$/)

/** A timestamp as the API sends it: ISO 8601 in UTC (`2026-01-31T09:00:00.000Z`). */
export const TIMESTAMP = z.iso.datetime()
