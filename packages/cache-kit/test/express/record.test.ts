import { describe, expect, it } from 'vitest'
import { decodeRecord, encodeRecord, type ResponseRecord } from '../../src/express/record.js'

describe('response record', () => {
  const record: ResponseRecord = {
    status: 203,
    etag: '"abc"',
    gzipEtag: '"abc-gzip"',
    gzip: false,
    identityLength: 4,
    headers: [
      'content-type',
      'application/json',
      'link',
      '<https://x/é>; rel="next"',
      'link',
      '<b>; rel="prev"',
    ],
    body: Buffer.from('body'),
  }
  it('round-trips status, ETag, headers (repeated and UTF-8) and bytes', () => {
    const back = decodeRecord(encodeRecord(record))
    expect(back).toEqual({ ...record, body: Buffer.from('body') })
  })
  it('reads anything else as no record', () => {
    const bytes = encodeRecord(record)
    expect(decodeRecord(bytes.subarray(0, bytes.byteLength - 1))).toBeUndefined()
    expect(decodeRecord(bytes.subarray(0, 12))).toBeUndefined()
    expect(decodeRecord(Buffer.from('{"json":true}'))).toBeUndefined()
    expect(decodeRecord({ status: 200 })).toBeUndefined()
  })
})
