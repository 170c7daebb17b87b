import type { AddressInfo } from 'node:net'
import { Writable } from 'node:stream'
import express from 'express'
import { afterAll, beforeAll, expect, it } from 'vitest'
import { errorHandler } from '../src/http/error-handler.js'
import { requestLog } from '../src/http/request-log.js'
import { createLogger } from '../src/runtime.js'

// The request log on a bare app: what it writes per level, independent of any database.
const lines: Record<string, unknown>[] = []
const sink = new Writable({
  write(chunk: Buffer, _enc, done) {
    for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l))
    done()
  },
})
let base = ''
let arrived: () => void = () => {}
let close: () => void = () => {}

function app(level: string) {
  const a = express()
  a.use(requestLog(createLogger(level, sink)))
  a.get('/ok', (_req, res) => {
    res.set('X-Request-Id', 'client-id-1').json({ ok: true })
  })
  a.get('/boom', () => {
    throw new Error('exploded')
  })
  // Never answers: the client leaves first.
  a.get('/slow', () => arrived())
  a.use(errorHandler)
  return a
}

beforeAll(async () => {
  const servers = (['info', 'warn'] as const).map((level) => app(level).listen(0, '127.0.0.1'))
  await Promise.all(servers.map((s) => new Promise((r) => s.once('listening', r))))
  base = servers.map((s) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`).join(' ')
  close = () => {
    for (const s of servers) s.close()
  }
})
afterAll(() => close())

const [info, warn] = [() => base.split(' ')[0], () => base.split(' ')[1]]

/** Waits for the line of `url` (the log is written once the response closed). */
async function lineOf(url: string): Promise<Record<string, unknown>> {
  await expect.poll(() => lines.filter((l) => l.url === url).length).toBe(1)
  return lines.find((l) => l.url === url) as Record<string, unknown>
}

it('a completed request: one info line with the response X-Request-Id, method, url, status, ms', async () => {
  await fetch(`${info()}/ok?x=1`)
  const line = await lineOf('/ok?x=1')
  expect(line).toMatchObject({
    level: 30,
    msg: 'request completed',
    reqId: 'client-id-1',
    method: 'GET',
    status: 200,
    route: null,
  })
  expect(line.ms).toBeGreaterThanOrEqual(0)
})

it('a 5xx: an error line with the cause serialized as err', async () => {
  const res = await fetch(`${info()}/boom?x=2`)
  expect(res.status).toBe(500)
  const line = await lineOf('/boom?x=2')
  expect(line).toMatchObject({ level: 50, status: 500, msg: 'request completed' })
  expect(line.err).toMatchObject({ type: 'Error', message: 'exploded' })
  expect(typeof line.reqId).toBe('number')
})

it('a client that leaves before the answer: a warn line, request aborted', async () => {
  const ac = new AbortController()
  const inHandler = new Promise<void>((r) => {
    arrived = r
  })
  const pending = fetch(`${info()}/slow?x=3`, { signal: ac.signal }).catch(() => 'aborted')
  await inHandler
  ac.abort()
  expect(await pending).toBe('aborted')
  expect(await lineOf('/slow?x=3')).toMatchObject({ level: 40, msg: 'request aborted' })
})

it('at LOG_LEVEL=warn completed requests write nothing, errors still do', async () => {
  await fetch(`${warn()}/ok?x=4`)
  await fetch(`${warn()}/boom?x=5`)
  expect(await lineOf('/boom?x=5')).toMatchObject({ level: 50 })
  expect(lines.filter((l) => l.url === '/ok?x=4')).toHaveLength(0)
})
