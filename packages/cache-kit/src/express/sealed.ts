import type { Socket } from 'node:net'
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

const SEALED = [
  'headersSent',
  'statusCode',
  'setHeader',
  'appendHeader',
  'removeHeader',
  'writeHead',
] as const

/** Longest a `socket.destroy()` waits for a held response (a hold that never ends must not pin its socket). */
const DESTROY_WAIT_MS = 5000

/** What {@link seal} replaced, to put back. */
export interface Seal {
  readonly res: Response
  /** The response's own properties of the sealed names (its status, wrappers other middleware set). */
  readonly own: readonly (PropertyDescriptor | undefined)[]
  readonly socket: Socket | null
  readonly socketDestroy: PropertyDescriptor | undefined
  /** A `socket.destroy(...)` made while sealed (Express' error handler after a sent head). */
  destroyed: unknown[] | undefined
  timer: ReturnType<typeof setTimeout> | undefined
}

/**
 * Makes a response the layer holds (a miss being stored, a write being invalidated) look sent to
 * everyone else until {@link unseal}: `headersSent` reads true, the status cannot change, header
 * changes throw `ERR_HTTP_HEADERS_SENT` (as they would once Node had sent the head), and a
 * `socket.destroy()` (Express' error handler does that when a handler fails after answering) waits
 * until the held response went out: see {@link settleDestroy}. A second `destroy()`, or 5 s of
 * waiting, destroys at once. So a handler that answers twice gets Node's own error, and the first
 * answer is the one the client receives.
 */
export function seal(res: Response): Seal {
  const own = SEALED.map((name) => Object.getOwnPropertyDescriptor(res, name))
  const status = res.statusCode
  Object.defineProperty(res, 'headersSent', { configurable: true, get: () => true })
  Object.defineProperty(res, 'statusCode', { configurable: true, get: () => status, set: () => {} })
  for (const name of SEALED.slice(2))
    Object.defineProperty(res, name, { configurable: true, writable: true, value: refuse })
  const socket = res.socket
  const s: Seal = {
    res,
    own,
    socket,
    socketDestroy: socket ? Object.getOwnPropertyDescriptor(socket, 'destroy') : undefined,
    destroyed: undefined,
    timer: undefined,
  }
  if (socket) {
    const destroy = socket.destroy
    const now = (args: unknown[]) => {
      if (s.timer) clearTimeout(s.timer)
      s.destroyed = undefined
      return destroy.apply(socket, args as [Error?])
    }
    Object.defineProperty(socket, 'destroy', {
      configurable: true,
      writable: true,
      value: (...args: unknown[]) => {
        if (s.destroyed) return now(args)
        s.destroyed = args
        s.timer = setTimeout(() => now(args), DESTROY_WAIT_MS)
        s.timer.unref?.()
        return socket
      },
    })
  }
  return s
}

/**
 * Undoes {@link seal}: the response's own properties are as they were (a wrapper stays in place).
 * Call it right before sending, then {@link settleDestroy} once the response was handed on.
 */
export function unseal(s: Seal): void {
  const { res, socket } = s
  SEALED.forEach((name, i) => {
    const d = s.own[i]
    if (d) Object.defineProperty(res, name, d)
    else delete (res as unknown as Record<string, unknown>)[name]
  })
  if (socket) {
    if (s.socketDestroy) Object.defineProperty(socket, 'destroy', s.socketDestroy)
    else delete (socket as unknown as Record<string, unknown>).destroy
  }
  if (s.timer) clearTimeout(s.timer)
}

/**
 * Runs a `socket.destroy()` deferred while sealed: once the response finished, or at once when it
 * cannot finish any more (it was not ended: a stream that failed midway; the client has gone).
 */
export function settleDestroy(s: Seal): void {
  const { res, socket } = s
  const args = s.destroyed
  s.destroyed = undefined
  if (!socket || !args) return
  const destroy = () => socket.destroy(...(args as [Error?]))
  if (res.writableFinished || res.destroyed || !socket.writable) destroy()
  // Not ended (a stream that failed midway): what was written goes out first (Node uncorks on
  // the next tick), then the connection closes, as it would have without the hold.
  else if (!res.writableEnded) setImmediate(destroy)
  else res.once('finish', destroy).once('close', destroy)
}

/** Whether the response can still be written to (the client may have gone). */
export function writable(res: Response): boolean {
  return !res.destroyed && !res.writableEnded
}

/**
 * A `write` or `end` the layer ignores because the held response already ended (Node refuses it
 * too): its callback still runs once the response finished, as Node would run it.
 */
export function ignoreLate(res: Response, args: readonly unknown[]): void {
  const cb = args.find((a) => typeof a === 'function') as (() => void) | undefined
  if (cb) res.once('finish', () => cb())
}
