import type { Knex } from 'knex'
import { classifyDbError } from './db-errors.js'

/** How many times a transaction that lost a deadlock (or a serialization conflict) is run in all. */
export const MAX_TRANSACTION_ATTEMPTS = 4

/**
 * Runs `work` in a transaction, retrying it (at most {@link MAX_TRANSACTION_ATTEMPTS} runs, with a
 * short jittered backoff) when the database picked it as a deadlock victim; other errors propagate.
 */
export async function inTransaction<T>(db: Knex, work: (trx: Knex.Transaction) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(work)
    } catch (error) {
      if (attempt >= MAX_TRANSACTION_ATTEMPTS || classifyDbError(error) !== 'deadlock') throw error
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10 * attempt))
    }
  }
}
