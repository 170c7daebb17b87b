import type { Response } from 'express'
import type { Capture } from './capture.js'

export type WriteHead = Response['writeHead']
export type Write = Response['write']
export type End = Response['end']
export type Callback = (err?: Error | null) => void

/** The capture's `writeHead`/`write`/`end`: into the capture while it runs, straight on once it is done. */
export function wrappers(c: Capture): { writeHead: WriteHead; write: Write; end: End } {
  return {
    writeHead: function captureWriteHead(this: Response, ...args: unknown[]) {
      const o = c.originals
      if (o) return (o.writeHead as (...a: unknown[]) => Response).apply(this, args)
      c.head(args)
      return this
    } as WriteHead,
    write: function captureWrite(this: Response, ...args: unknown[]) {
      const o = c.originals
      if (o) return (o.write as (...a: unknown[]) => boolean).apply(this, args)
      const [chunk, encoding, cb] = args
      return c.stream(
        chunk,
        typeof encoding === 'function' ? undefined : encoding,
        typeof encoding === 'function' ? encoding : cb,
      )
    } as Write,
    end: function captureEnd(this: Response, ...args: unknown[]) {
      const o = c.originals
      if (o) return (o.end as (...a: unknown[]) => Response).apply(this, args)
      const [chunk, encoding, cb] = args
      if (typeof chunk === 'function') c.end(undefined, undefined, chunk as Callback)
      else if (typeof encoding === 'function') c.end(chunk, undefined, encoding as Callback)
      else c.end(chunk, encoding, cb as Callback | undefined)
      return this
    } as End,
  }
}
