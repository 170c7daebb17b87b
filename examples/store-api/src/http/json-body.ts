import express, { type RequestHandler } from 'express'
import { ApiError } from '../errors.js'

/** Largest request body, after decompression. */
export const MAX_BODY_BYTES = 1024 * 1024

/** Deepest nesting of arrays and objects a body may have (the API's own bodies nest 3 deep). */
export const MAX_BODY_DEPTH = 32

const QUOTE = 0x22
const BACKSLASH = 0x5c
const OPEN_ARRAY = 0x5b
const CLOSE_ARRAY = 0x5d
const OPEN_OBJECT = 0x7b
const CLOSE_OBJECT = 0x7d

/**
 * True when the JSON text `buf` nests deeper than `max`: one pass over the bytes, before any
 * parsing, so a deeply nested body costs a scan, never a deep object graph (whose later
 * `JSON.stringify` or validation would recurse once per level).
 */
export function nestsDeeperThan(buf: Uint8Array, max: number): boolean {
  let depth = 0
  let inString = false
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]
    if (inString) {
      if (c === BACKSLASH) i++
      else if (c === QUOTE) inString = false
    } else if (c === QUOTE) inString = true
    else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (++depth > max) return true
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) depth--
  }
  return false
}

interface BodyParserError {
  type?: unknown
  status?: unknown
}

/** The contract's error for whatever the body parser (or its decompression) refused. */
function bodyError(error: unknown): unknown {
  if (error instanceof ApiError) return error
  const e = (typeof error === 'object' && error !== null ? error : {}) as BodyParserError
  switch (e.type) {
    case 'entity.parse.failed':
      return new ApiError(400, 'malformed_json', 'the request body is not valid JSON')
    case 'entity.too.large':
      return new ApiError(413, 'payload_too_large', 'the request body exceeds 1 MiB')
    case 'encoding.unsupported':
      return new ApiError(
        415,
        'unsupported_encoding',
        'Content-Encoding must be identity, gzip, deflate or br',
      )
    case 'charset.unsupported':
      return new ApiError(415, 'unsupported_charset', 'a JSON body must be UTF-8')
  }
  // Anything else 4xx is a body that could not be read: a truncated or corrupt compressed
  // stream (zlib's Z_BUF_ERROR…), a Content-Length that does not match, an aborted upload.
  if (typeof e.status === 'number' && e.status >= 400 && e.status < 500)
    return new ApiError(
      400,
      'invalid_body',
      'the request body could not be read (check Content-Encoding and Content-Length)',
    )
  return error
}

/**
 * The JSON body parser of the API's write routes, placed after authentication so an anonymous
 * client never gets a body parsed: UTF-8 only, at most {@link MAX_BODY_BYTES} (decompressed) and
 * {@link MAX_BODY_DEPTH} levels deep (`400 body_too_deep`); every refusal is one of the contract's
 * codes (`malformed_json`, `payload_too_large`, `unsupported_encoding`, `unsupported_charset`,
 * `invalid_body`), never a library's.
 */
export function jsonBody(): RequestHandler {
  const parse = express.json({
    limit: MAX_BODY_BYTES,
    verify: (_req, _res, buf, encoding) => {
      if (!/^utf-?8$/i.test(encoding))
        throw new ApiError(415, 'unsupported_charset', 'a JSON body must be UTF-8')
      if (nestsDeeperThan(buf, MAX_BODY_DEPTH))
        throw new ApiError(400, 'body_too_deep', `the JSON body nests deeper than ${MAX_BODY_DEPTH} levels`)
    },
  })
  return (req, res, next) => {
    parse(req, res, (error?: unknown) => next(error === undefined ? undefined : bodyError(error)))
  }
}
