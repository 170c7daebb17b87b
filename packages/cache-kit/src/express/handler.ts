/** A wrapped function: Express' `next` in the middleware form, the decorated method otherwise. */
export type Handler = (this: unknown, ...args: unknown[]) => unknown

/** Arguments of `next()`. */
export const NO_ARGS: readonly unknown[] = []
