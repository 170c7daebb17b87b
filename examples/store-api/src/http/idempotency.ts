import { createHash } from 'node:crypto'
import type { Request, RequestHandler, Response } from 'express'
import type { Knex } from 'knex'
import { classifyDbError } from '../db/db-errors.js'
import { insertRow } from '../db/insert-row.js'
import { toInt } from '../db/values.js'
import { ApiError, BadRequestError, ConflictError } from '../errors.js'
import { companyOf } from './request-context.js'

/** How long a stored response answers replays of its key. */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000

interface StoredKey {
  id: number
  request_hash: string
  status_code: number | null
  response_body: string | null
  created_at: unknown
}

function requestHash(req: Request): string {
  return createHash('sha256')
    .update(`${req.method} ${req.baseUrl}${req.path}\n${JSON.stringify(req.body ?? null)}`)
    .digest('hex')
}

function createdMs(v: unknown): number {
  if (v instanceof Date) return v.getTime()
  if (typeof v === 'number') return v
  return Date.parse(String(v).replace(' ', 'T') + (String(v).endsWith('Z') ? '' : 'Z'))
}

async function findKey(db: Knex, companyId: number, key: string): Promise<StoredKey | undefined> {
  const row = (await db('idempotency_keys')
    .where({ company_id: companyId, idempotency_key: key })
    .first('id', 'request_hash', 'status_code', 'response_body', 'created_at')) as
    | Record<string, unknown>
    | undefined
  if (!row) return undefined
  return {
    id: toInt(row.id),
    request_hash: String(row.request_hash),
    status_code: row.status_code === null || row.status_code === undefined ? null : toInt(row.status_code),
    response_body:
      row.response_body === null || row.response_body === undefined ? null : String(row.response_body),
    created_at: row.created_at,
  }
}

function replay(res: Response, row: StoredKey): void {
  res
    .status(row.status_code ?? 200)
    .set('Idempotent-Replayed', 'true')
    .type('application/json')
  res.send(row.response_body ?? '')
}

/**
 * Middleware for POST routes: an `Idempotency-Key` header makes the request run once per company
 * within 24 h. A replay with the same body gets the first response (`Idempotent-Replayed: true`);
 * the same key with another body is `422 idempotency_key_reused`; a replay while the first request
 * still runs is `409 idempotency_key_in_use`. Keys live in the `idempotency_keys` table, so every
 * instance sees them. Responses of 5xx are not kept (the client may retry).
 */
export function idempotency(db: Knex): RequestHandler {
  return async (req, res, next) => {
    const key = req.get('idempotency-key')
    if (key === undefined) {
      next()
      return
    }
    if (key.length < 1 || key.length > 255) {
      throw new BadRequestError('invalid_idempotency_key', 'Idempotency-Key must be 1 to 255 characters')
    }
    const companyId = companyOf(req)
    const hash = requestHash(req)
    const existing = await findKey(db, companyId, key)
    if (existing && Date.now() - createdMs(existing.created_at) > IDEMPOTENCY_WINDOW_MS) {
      await db('idempotency_keys').where({ id: existing.id }).delete()
    } else if (existing) {
      answerExisting(res, existing, hash)
      return
    }
    let id: number
    try {
      id = await insertRow(db, 'idempotency_keys', {
        company_id: companyId,
        idempotency_key: key,
        method: req.method,
        path: `${req.baseUrl}${req.path}`.slice(0, 2048),
        request_hash: hash,
        created_at: new Date(),
      })
    } catch (error) {
      if (classifyDbError(error) !== 'unique') throw error
      const raced = await findKey(db, companyId, key)
      if (!raced)
        throw new ConflictError('idempotency_key_in_use', 'a request with this Idempotency-Key is running')
      answerExisting(res, raced, hash)
      return
    }
    captureResponse(db, res, id)
    next()
  }
}

function answerExisting(res: Response, row: StoredKey, hash: string): void {
  if (row.request_hash !== hash) {
    throw new ApiError(
      422,
      'idempotency_key_reused',
      'this Idempotency-Key was used with another request body',
    )
  }
  if (row.status_code === null) {
    throw new ConflictError('idempotency_key_in_use', 'a request with this Idempotency-Key is still running')
  }
  replay(res, row)
}

/** Stores the JSON response under the key *before* sending it, so a replay right after sees it. */
function captureResponse(db: Knex, res: Response, id: number): void {
  const send = res.json.bind(res)
  res.json = (body: unknown) => {
    const status = res.statusCode
    const write =
      status >= 500
        ? db('idempotency_keys').where({ id }).delete()
        : db('idempotency_keys')
            .where({ id })
            .update({ status_code: status, response_body: JSON.stringify(body) })
    write.then(
      () => send(body),
      () => send(body),
    )
    return res
  }
}
