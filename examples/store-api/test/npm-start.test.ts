import { type ChildProcess, spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, expect, it } from 'vitest'
import { call, results } from './support/client.js'

const root = fileURLToPath(new URL('../../..', import.meta.url))
const cwd = mkdtempSync(join(tmpdir(), 'hotpath-start-'))
let child: ChildProcess | undefined

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const a = s.address()
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0))
    })
  })
}

afterAll(async () => {
  if (child && child.exitCode === null) {
    const exited = new Promise((r) => child?.once('exit', r))
    child.kill('SIGTERM')
    await exited
  }
  rmSync(cwd, { recursive: true, force: true })
})

it('`npm start` from the repository root serves the seeded embedded default and stops on SIGTERM', async () => {
  const port = await freePort()
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    PORT: String(port),
    LOG_LEVEL: 'warn',
  }
  child = spawn(process.execPath, [join(root, 'scripts/start.mjs')], {
    cwd,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  // Resolves with the demo key once printed; rejects at once if the process exits first.
  const printed = new Promise<string>((resolve, reject) => {
    const look = (c: Buffer) => {
      out += c.toString()
      const key = /demo API key: (\S+)/.exec(out)?.[1]
      if (key && out.includes('listening on')) resolve(key)
    }
    child?.stdout?.on('data', look)
    child?.stderr?.on('data', look)
    child?.once('exit', (code) => reject(new Error(`npm start exited (${code}) before listening:\n${out}`)))
  })
  expect(await printed).toMatch(/^sk_/)
  const key = /demo API key: (\S+)/.exec(out)?.[1] ?? ''
  expect(out).toContain(`listening on http://localhost:${port}`)
  const base = `http://127.0.0.1:${port}`
  expect((await call(base, '/health')).body).toEqual({ status: 'ok' })
  const products = await call(base, '/api/products', { key })
  expect(products.status).toBe(200)
  expect((products.body as { count: number }).count).toBeGreaterThanOrEqual(1000)
  expect(results(products)).toHaveLength(50)
  expect(existsSync(join(cwd, '.hotpath', 'store.sqlite'))).toBe(true)

  const exited = new Promise<number | null>((r) => child?.once('exit', (code) => r(code)))
  child.kill('SIGTERM')
  expect(await exited).toBe(0)
}, 120_000)
