import type { NextFunction, Request, Response } from 'express'

/**
 * What `cacheResponse(...)` and `invalidates(...)` return: an Express middleware that is also a
 * method decorator, as a TC39 standard decorator or under TypeScript's `experimentalDecorators`.
 */
export interface MiddlewareDecorator {
  /** Express middleware. */
  (req: Request, res: Response, next: NextFunction): Promise<void>
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
