import type { Request, RequestHandler, Response } from 'express'
import type { Logger } from 'pino'

/** Where the request log keeps a request's start on `res.locals` (nanoseconds, `process.hrtime.bigint()`). */
const START = 'requestLogStart'

/** `res.locals` key under which the error handler leaves a 5xx's cause for the request log. */
export const RESPONSE_ERROR = 'responseError'

/** What one request log line holds besides pino's `level`, `time`, `pid`, `hostname` and `msg`. */
export interface RequestLogLine {
  /** The response's `X-Request-Id` when one was set, else a number counted per process. */
  readonly reqId: string | number
  readonly method: string
  /** The URL as requested (path and query string; credentials travel in headers, never here). */
  readonly url: string
  /** The route template (`/api/products/:id`), `null` when no route matched. */
  readonly route: string | null
  readonly status: number
  /** Milliseconds from the request reaching the log middleware to the response finishing. */
  readonly ms: number
  /** The cause of a 5xx (pino's error serializer). */
  readonly err?: Error
}

/**
 * The service's request log: one line per request once its response is done — `request completed`
 * at `info` (at `error` with the cause as `err` for a 5xx), `request aborted` at `warn` when the
 * client went away first. The line is built only when its level is enabled, with no child logger,
 * serializer or redaction per request: it holds no header, so nothing in it needs redacting.
 */
export function requestLog(logger: Logger): RequestHandler {
  let counter = 0
  function onClose(this: Response): void {
    const completed = this.writableFinished
    const status = this.statusCode
    const failed = status >= 500
    const level = !completed ? 'warn' : failed ? 'error' : 'info'
    if (!logger.isLevelEnabled(level)) return
    const req = this.req as Request
    const start = this.locals[START] as bigint
    const id = this.getHeader('x-request-id')
    const line: RequestLogLine = {
      reqId: typeof id === 'string' ? id : ++counter,
      method: req.method,
      url: req.originalUrl,
      route: typeof this.locals.route === 'string' ? this.locals.route : null,
      status,
      ms: Number(process.hrtime.bigint() - start) / 1e6,
      ...(failed && this.locals[RESPONSE_ERROR] instanceof Error ? { err: this.locals[RESPONSE_ERROR] } : {}),
    }
    logger[level](line, completed ? 'request completed' : 'request aborted')
  }
  return (_req, res, next) => {
    res.locals[START] = process.hrtime.bigint()
    res.once('close', onClose)
    next()
  }
}
