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

/**
 * How long a key stays locked by a request that has not answered: past it the request is taken
 * for dead (its process crashed) and the key is free again. Far above any request's run time
 * (database waits give up after 5 s, the server's request timeout is 30 s).
 */
export const IDEMPOTENCY_LOCK_MS = 60_000

/** Expired keys are purged at most this often per process, a batch at a time. */
const PURGE = { everyMs: 60_000, batch: 1000 }

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
 * Deletes up to `batch` keys older than {@link IDEMPOTENCY_WINDOW_MS} (oldest first, through the
 * `created_at` index); resolves how many went. The middleware calls it at most once a minute.
 */
export async function purgeExpiredIdempotencyKeys(
  db: Knex,
  now = Date.now(),
  batch = PURGE.batch,
): Promise<number> {
  const ids = (await db('idempotency_keys')
    .where('created_at', '<', new Date(now - IDEMPOTENCY_WINDOW_MS))
    .orderBy('created_at')
    .limit(batch)
    .pluck('id')) as unknown[]
  if (ids.length === 0) return 0
  return db('idempotency_keys').whereIn('id', ids.map(toInt)).delete()
}

/**
 * Middleware for POST routes: an `Idempotency-Key` header makes the request run once per company
 * within 24 h. Keys compare exactly (case and accents count). A replay with the same body gets the
 * first response (`Idempotent-Replayed: true`); the same key with another body is
 * `422 idempotency_key_reused`; a replay while the first request still runs is
 * `409 idempotency_key_in_use`. Every answer is kept, however the handler sent it (`json`, `send`,
 * `end`), except a 5xx, which frees the key (the client may retry); so does a request that never
 * answered within {@link IDEMPOTENCY_LOCK_MS} (a crashed process). Keys live in the
 * `idempotency_keys` table, so every instance sees them; expired ones are purged as requests come.
 */
export function idempotency(db: Knex): RequestHandler {
  let lastPurge = 0
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
    const now = Date.now()
    if (now - lastPurge > PURGE.everyMs) {
      lastPurge = now
      purgeExpiredIdempotencyKeys(db, now).catch(() => undefined) // retried on a later request
    }
    const existing = await findKey(db, companyId, key)
    if (existing && isOver(existing, now)) {
      // Two requests taking one key over both delete it; the unique key lets one insert again.
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

/** An expired key, or one its request left locked (no answer) past {@link IDEMPOTENCY_LOCK_MS}. */
function isOver(row: StoredKey, now: number): boolean {
  const age = now - createdMs(row.created_at)
  return age > IDEMPOTENCY_WINDOW_MS || (row.status_code === null && age > IDEMPOTENCY_LOCK_MS)
}

function answerExisting(res: Response, row: StoredKey, hash: string): void {
  if (row.status_code === null) {
    throw new ConflictError('idempotency_key_in_use', 'a request with this Idempotency-Key is still running')
  }
  if (row.request_hash !== hash) {
    throw new ApiError(
      422,
      'idempotency_key_reused',
      'this Idempotency-Key was used with another request body',
    )
  }
  replay(res, row)
}

type EndArgs = [chunk?: unknown, encoding?: unknown, callback?: unknown]

function bytesOf(chunk: unknown, encoding: unknown): Buffer | undefined {
  if (typeof chunk === 'string')
    return Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8')
  if (chunk instanceof Uint8Array) return Buffer.from(chunk)
  return undefined
}

/**
 * Stores the response under the key *before* it ends, so a replay right after sees it: wraps
 * `res.end`, which `json`, `send` and `sendStatus` all end in (`write`s are collected too).
 */
function captureResponse(db: Knex, res: Response, id: number): void {
  const chunks: Buffer[] = []
  const write = res.write
  const end = res.end
  let ended = false
  res.write = function (this: Response, ...args: Parameters<Response['write']>) {
    const bytes = bytesOf(args[0], args[1])
    if (bytes && !ended) chunks.push(bytes)
    return write.apply(this, args)
  } as Response['write']
  res.end = function (this: Response, ...args: EndArgs) {
    if (ended) return end.apply(this, args as Parameters<Response['end']>)
    ended = true
    res.write = write
    res.end = end
    const [chunk, encoding] = args
    const bytes = typeof chunk === 'function' ? undefined : bytesOf(chunk, encoding)
    if (bytes) chunks.push(bytes)
    const status = res.statusCode
    const keys = db('idempotency_keys').where({ id })
    const stored =
      status >= 500
        ? keys.delete()
        : keys.update({ status_code: status, response_body: Buffer.concat(chunks).toString('utf8') })
    // A key whose answer could not be stored is freed rather than left locked.
    stored
      .catch(() => db('idempotency_keys').where({ id }).delete())
      .catch(() => undefined)
      .finally(() => end.apply(this, args as Parameters<Response['end']>))
    return this
  } as Response['end']
}
