import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { loadConfig } from '../src/config.js'
import { serve } from '../src/server.js'

const dir = mkdtempSync(join(tmpdir(), 'hotpath-graceful-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

it('stop() lets a request in flight finish, then refuses new connections and closes the pools', async () => {
  const token = 'graceful-admin-token-0123456789'
  const config = loadConfig(
    {
      DATABASE_URL: `sqlite:${join(dir, 'store.sqlite')}`,
      PORT: '0',
      HOST: '127.0.0.1',
      ADMIN_TOKEN: token,
      LOG_LEVEL: 'silent',
    },
    dir,
  )
  const running = await serve(config, () => {}, { handleSignals: false })
  const address = running.server.address()
  const port = typeof address === 'object' && address ? address.port : 0
  // The database file holds every company's data: its owner only. Slow clients are cut off early.
  expect(statSync(join(dir, 'store.sqlite')).mode & 0o777).toBe(0o600)
  expect([
    running.server.headersTimeout,
    running.server.requestTimeout,
    running.server.keepAliveTimeout,
  ]).toEqual([10_000, 30_000, 5_000])
  expect((await fetch(`http://127.0.0.1:${port}/ready`)).status).toBe(200)

  // A request whose body is still arriving when the stop begins.
  const body = JSON.stringify({ name: 'Late', email: 'late@example.test' })
  const socket = connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()))
  const reply = new Promise<string>((resolve) => {
    let text = ''
    socket.on('data', (c: Buffer) => {
      text += c.toString()
    })
    socket.on('end', () => resolve(text))
  })
  // A keep-alive connection opened (and used) before the stop.
  const keepAlive = connect(port, '127.0.0.1')
  await new Promise<void>((resolve) => keepAlive.once('connect', () => resolve()))
  const accepted = new Promise<void>((resolve) => running.server.once('request', () => resolve()))
  socket.write(
    `POST /api/admin/companies HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: Bearer ${token}\r\n` +
      `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body.slice(0, 10)}`,
  )
  await accepted
  let stopped = false
  const stopping = running.stop().then(() => {
    stopped = true
  })
  await new Promise((r) => setImmediate(r))
  expect(stopped).toBe(false)
  // While draining, a request on a connection still open learns the instance is leaving.
  const ready = await new Promise<string>((resolve) => {
    let text = ''
    keepAlive.on('data', (c: Buffer) => {
      text += c.toString()
      if (text.includes('draining')) resolve(text)
    })
    keepAlive.write('GET /ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n')
  })
  expect(ready).toMatch(/^HTTP\/1\.1 503/)
  keepAlive.destroy()
  socket.end(body.slice(10))
  const text = await reply
  expect(text).toMatch(/^HTTP\/1\.1 201/)
  expect(text).toContain('"api_key":"sk_')
  await stopping
  expect(stopped).toBe(true)
  await expect(
    new Promise((resolve, reject) => {
      const s = connect(port, '127.0.0.1')
      s.once('connect', () => resolve('connected'))
      s.once('error', reject)
    }),
  ).rejects.toThrow(/ECONNREFUSED/)
  await expect(running.runtime.db.raw('select 1')).rejects.toThrow()
})
