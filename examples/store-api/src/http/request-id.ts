import { randomUUID } from 'node:crypto'
import type { RequestHandler } from 'express'

/** A client's `X-Request-Id` is kept when it is 1–128 of these characters (no spaces, no control bytes). */
const SANE_ID = /^[\w.:@+=/-]{1,128}$/

/**
 * Middleware: gives each request an id — the client's `X-Request-Id` when sane (see above), else
 * a random UUID — echoes it in the `X-Request-Id` response header, keeps it in
 * `res.locals.requestId`, and as `req.id`, which the request logger writes on every line.
 */
export function requestId(): RequestHandler {
  return (req, res, next) => {
    const given = req.headers['x-request-id']
    const id = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID()
    ;(req as { id?: unknown }).id = id
    res.locals.requestId = id
    res.setHeader('X-Request-Id', id)
    next()
  }
}
