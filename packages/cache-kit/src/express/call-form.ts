import type { NextFunction, Request, Response } from 'express'
import { CacheResponseError } from './errors.js'
import type { Handler, InvocationRunner } from './handler.js'

/** How a dual middleware/decorator was called. */
export type CallForm = 'middleware' | 'standard' | 'legacy'

/**
 * Tells the three call forms apart: a TC39 decorator gets `(value, context)` with a
 * `context.kind`; a legacy `experimentalDecorators` one gets `(prototype, name, descriptor)`;
 * Express calls a middleware with `(req, res, next)`, whose third argument is a function.
 * Only the second and third arguments are needed to tell them apart.
 */
export function callForm(b: unknown, c: unknown): CallForm {
  // A response has no `kind`; every TC39 decorator context has one (the kind is checked when decorating).
  if (b !== null && typeof b === 'object' && typeof (b as { kind?: unknown }).kind === 'string')
    return 'standard'
  if ((typeof b === 'string' || typeof b === 'symbol') && c !== null && typeof c === 'object') return 'legacy'
  return 'middleware'
}

function isRequest(v: unknown): v is Request {
  return v !== null && typeof v === 'object' && typeof (v as Request).method === 'string' && 'headers' in v
}

function isResponse(v: unknown): v is Response {
  return v !== null && typeof v === 'object' && typeof (v as Response).writeHead === 'function'
}

/**
 * Wraps a method so each call goes through `runner`. The request and response are found among the
 * arguments (`(req, res, next)` first; NestJS' `@Req() @Res()` in any position too). A call
 * without them runs the method as is.
 */
export function wrapMethod(original: Handler, runner: InvocationRunner): Handler {
  return function cachedMethod(this: unknown, ...args: unknown[]) {
    let req = args[0]
    let res = args[1]
    let next = args[2]
    if (!isRequest(req) || !isResponse(res)) {
      req = args.find(isRequest)
      res = args.find(isResponse)
      next = args.find((a) => typeof a === 'function')
      if (!isRequest(req) || !isResponse(res)) return original.apply(this, args)
    }
    const fn = typeof next === 'function' ? (next as NextFunction) : undefined
    // A decorated method returns a promise whatever path the request took (a hit answers synchronously).
    try {
      return Promise.resolve(runner({ req, res, next: fn, run: original, thisArg: this, args }))
    } catch (err) {
      return Promise.reject(err)
    }
  }
}

/** Applies a runner as a TC39 or legacy decorator; throws `CacheResponseError` on a non-method. */
export function decorate(
  form: 'standard' | 'legacy',
  a: unknown,
  b: unknown,
  c: unknown,
  runner: InvocationRunner,
): unknown {
  if (form === 'standard') {
    const kind = (b as { kind: string }).kind
    if (kind !== 'method')
      throw new CacheResponseError('invalid_option', `decorates methods only, not a ${kind}`)
    return wrapMethod(a as Handler, runner)
  }
  const descriptor = c as PropertyDescriptor
  if (typeof descriptor.value !== 'function')
    throw new CacheResponseError('invalid_option', `decorates methods only (${String(b)})`)
  descriptor.value = wrapMethod(descriptor.value as Handler, runner)
  return descriptor
}
