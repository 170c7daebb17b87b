import type { NextFunction, Request, Response } from 'express'
import { callForm, decorate } from './call-form.js'
import { type InvocationRunner, middlewareCall } from './handler.js'

/**
 * What `cacheResponse(...)` and `invalidates(...)` return: an Express middleware that is also a
 * method decorator, as a TC39 standard decorator or under TypeScript's `experimentalDecorators`.
 */
export interface MiddlewareDecorator {
  /** Express middleware: returns nothing when it answered synchronously (an in-process hit), else a promise. */
  (req: Request, res: Response, next: NextFunction): void | Promise<void>
  /** TC39 standard method decorator. */
  <This, Args extends unknown[], Ret>(
    method: (this: This, ...args: Args) => Ret,
    context: ClassMethodDecoratorContext<This, (this: This, ...args: Args) => Ret>,
  ): (this: This, ...args: Args) => Ret
  /** Legacy (`experimentalDecorators`) method decorator. */
  <T>(
    target: object,
    propertyKey: string | symbol,
    descriptor: TypedPropertyDescriptor<T>,
  ): TypedPropertyDescriptor<T>
}

/** Builds the dual function around a runner; the call form is detected on each call. */
export function middlewareDecorator(runner: InvocationRunner): MiddlewareDecorator {
  // `function` with three parameters: Express treats a four-parameter function as an error handler.
  return function middlewareOrDecorator(a: unknown, b: unknown, c: unknown) {
    const form = callForm(b, c)
    if (form !== 'middleware') return decorate(form, a, b, c, runner)
    return runner(middlewareCall(a as Request, b as Response, c as NextFunction))
  } as MiddlewareDecorator
}
