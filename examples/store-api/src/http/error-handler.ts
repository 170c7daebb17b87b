import type { ErrorRequestHandler, RequestHandler } from 'express'
import { classifyDbError } from '../db/db-errors.js'
import { ApiError, ConflictError, UnavailableError } from '../errors.js'
import { RESPONSE_ERROR } from './request-log.js'

interface HttpishError {
  status?: unknown
  statusCode?: unknown
  code?: unknown
  message?: unknown
}

/** The shape of the contract's error codes: lower snake case (`invalid_cursor`). */
const CONTRACT_CODE = /^[a-z][a-z0-9_]*$/

/** Turns anything thrown into an {@link ApiError}: the service never answers 500 for bad input. */
export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  const e = (typeof error === 'object' && error !== null ? error : {}) as HttpishError
  const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 0
  // Typed errors of the packages (PaginationError and the like) carry their own code and status;
  // a library's own codes (zlib's Z_BUF_ERROR, Node's ERR_…) are not the contract's and do not pass.
  if (status >= 400 && status < 500) {
    const code = typeof e.code === 'string' && CONTRACT_CODE.test(e.code) ? e.code : 'bad_request'
    return new ApiError(status, code, typeof e.message === 'string' ? e.message : code)
  }
  switch (classifyDbError(error)) {
    case 'unique':
      return new ConflictError('conflict', 'a row with the same unique value already exists')
    case 'foreign_key':
      return new ConflictError('conflict', 'the row is referenced by other rows, or references a missing one')
    case 'check':
      return new ConflictError('conflict', 'the change would break a database constraint')
    case 'unavailable':
      return new UnavailableError()
    default:
      return new ApiError(500, 'internal_error', 'internal error')
  }
}

/** Express error handler: the contract's JSON body; 5xx details go to the log, never to the client. */
export const errorHandler: ErrorRequestHandler = (error, _req, res, next) => {
  if (res.headersSent) {
    next(error)
    return
  }
  const api = toApiError(error)
  if (api.status >= 500)
    res.locals[RESPONSE_ERROR] = error instanceof Error ? error : new Error(String(error))
  res.status(api.status).json(api.toJSON())
}

/** Fallback for unmatched paths: `404 route_not_found` (distinct from a missing row's `not_found`). */
export const routeNotFound: RequestHandler = (req, res) => {
  res.status(404).json({ error: { code: 'route_not_found', message: `no route ${req.method} ${req.path}` } })
}
