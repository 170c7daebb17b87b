import type { NextFunction, Request, Response } from 'express'

/** A wrapped function: Express' `next` in the middleware form, the decorated method otherwise. */
export type Handler = (this: unknown, ...args: unknown[]) => unknown

/**
 * One request through a middleware or a decorated method: `run.apply(thisArg, args)` produces
 * the response (`next()`, or the method). A plain object per request, no closure.
 */
export interface Invocation {
  readonly req: Request
  readonly res: Response
  /** Express' `next`, to report a rejected query; absent when a decorated method got none. */
  readonly next: NextFunction | undefined
  readonly run: Handler
  readonly thisArg: unknown
  readonly args: readonly unknown[]
}

/** What `cacheResponse` / `invalidates` do with one invocation. */
export type InvocationRunner = (call: Invocation) => unknown

const NO_ARGS: readonly unknown[] = []

/** Produces the response: calls the handler the invocation wraps. */
export function runHandler(call: Invocation): unknown {
  return call.run.apply(call.thisArg, call.args as unknown[])
}

/** The invocation of an Express middleware: its handler is `next()`. */
export function middlewareCall(req: Request, res: Response, next: NextFunction): Invocation {
  return { req, res, next, run: next as Handler, thisArg: undefined, args: NO_ARGS }
}
