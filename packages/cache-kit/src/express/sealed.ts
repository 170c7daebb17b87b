import type { Response } from 'express'

/** The error Node throws for a header change after the head went out. */
function headersSent(): Error {
  return Object.assign(new Error('Cannot set headers after they are sent to the client'), {
    code: 'ERR_HTTP_HEADERS_SENT',
  })
}

function refuse(): never {
  throw headersSent()
}

const SEALED = ['headersSent', 'setHeader', 'appendHeader', 'removeHeader', 'writeHead'] as const

/** What {@link seal} replaced: the response's own properties of those names (wrappers other middleware set). */
export type Seal = readonly (PropertyDescriptor | undefined)[]

/**
 * Makes a response the layer holds (a miss being stored, a write being invalidated) look sent to
 * everyone else until {@link unseal}: `headersSent` reads true and header changes throw
 * `ERR_HTTP_HEADERS_SENT`, as they would once Node had sent the head. So a handler that answers
 * twice gets Node's own error instead of changing a response already decided, and Express' error
 * handler does not try to answer a second time.
 */
export function seal(res: Response): Seal {
  const before = SEALED.map((name) => Object.getOwnPropertyDescriptor(res, name))
  Object.defineProperty(res, 'headersSent', { configurable: true, get: () => true })
  for (const name of SEALED.slice(1))
    Object.defineProperty(res, name, { configurable: true, writable: true, value: refuse })
  return before
}

/** Undoes {@link seal}: the response's own properties are as they were (a wrapper stays in place). */
export function unseal(res: Response, before: Seal): void {
  SEALED.forEach((name, i) => {
    const d = before[i]
    if (d) Object.defineProperty(res, name, d)
    else delete (res as unknown as Record<string, unknown>)[name]
  })
}

/** Whether the response can still be written to (the client may have gone, or Express destroyed the socket). */
export function writable(res: Response): boolean {
  return !res.destroyed && !res.writableEnded
}
