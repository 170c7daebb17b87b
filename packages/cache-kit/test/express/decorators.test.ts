import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { CacheManager, memoryStore } from '@hotpath/cache-kit'
import { cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import express from 'express'
import ts from 'typescript'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { makeController } from './legacy-decorators/controller.js'
import { type HttpClient, type Served, serve } from './support/http-client.js'

const fixtureDir = fileURLToPath(new URL('./legacy-decorators/', import.meta.url))
const outDir = mkdtempSync(join(tmpdir(), 'hotpath-decorators-'))
afterAll(() => rmSync(outDir, { recursive: true, force: true }))

/** Compiles the fixture with `tsc -p`'s rules: type-checked, emitted to a temp dir, loaded with require. */
function compile(mode: 'legacy' | 'standard'): { make: typeof makeController; emitted: string } {
  const configPath = join(fixtureDir, 'tsconfig.json')
  const read = ts.readConfigFile(configPath, ts.sys.readFile)
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, fixtureDir)
  const options = { ...parsed.options, outDir: join(outDir, mode), experimentalDecorators: mode === 'legacy' }
  const program = ts.createProgram(parsed.fileNames, options)
  const diagnostics = ts.getPreEmitDiagnostics(program).concat(program.emit().diagnostics)
  const text = ts.formatDiagnostics(diagnostics, {
    getCanonicalFileName: (f) => f,
    getCurrentDirectory: () => fixtureDir,
    getNewLine: () => '\n',
  })
  expect(text).toBe('')
  const file = join(outDir, mode, 'test/express/legacy-decorators/controller.js')
  const mod = createRequire(import.meta.url)(file) as { makeController: typeof makeController }
  return { make: mod.makeController, emitted: readFileSync(file, 'utf8') }
}

describe.each(['legacy', 'standard'] as const)('decorators, %s mode', (mode) => {
  const cache = new CacheManager({ store: memoryStore(), prefix: `dec-${mode}` })
  let http: HttpClient
  let controller: { calls: number; version: number }
  let emitted = ''
  let served: Served

  beforeAll(async () => {
    const compiled = compile(mode)
    emitted = compiled.emitted
    const Controller = compiled.make({ cacheResponse, invalidates, cache })
    const ctrl = new Controller()
    controller = ctrl
    const app = express()
    app.get('/products', (req, res, next) => ctrl.list(req, res, next))
    app.get('/products/:id', (req, res) => ctrl.detail(String(req.params.id), req, res))
    app.post('/products', (req, res) => ctrl.create(req, res))
    app.post('/products/update', (req, res) => ctrl.update(req, res))
    served = await serve(app)
    http = served.http
  })
  afterAll(async () => {
    await served?.close()
    await cache.close()
  })

  it('was compiled in that mode', () => {
    if (mode === 'legacy') expect(emitted).toContain('__decorate(')
    else expect(emitted).toContain('__esDecorate(')
  })

  it('caches a decorated method per tenant, with `this` intact', async () => {
    const a1 = await http.get('/products', { authorization: 'Bearer acme' })
    const a2 = await http.get('/products', { authorization: 'Bearer acme' })
    const b1 = await http.get('/products', { authorization: 'Bearer globex' })
    expect([a1.header('x-cache'), a2.header('x-cache'), b1.header('x-cache')]).toEqual([
      'MISS',
      'HIT',
      'MISS',
    ])
    expect(JSON.parse(String(a2.body))).toEqual({ tenant: 'acme', version: 0, calls: 1 })
    expect(JSON.parse(String(b1.body))).toEqual({ tenant: 'globex', version: 0, calls: 2 })
    expect(controller.calls).toBe(2)
  })

  it('finds req and res in any argument position', async () => {
    const before = controller.calls
    const r1 = await http.get('/products/7', { authorization: 'Bearer acme' })
    const r2 = await http.get('/products/7', { authorization: 'Bearer acme' })
    expect(JSON.parse(String(r2.body))).toEqual({ id: '7', tenant: 'acme' })
    expect([r1.header('x-cache'), r2.header('x-cache')]).toEqual(['MISS', 'HIT'])
    expect(controller.calls).toBe(before + 1)
  })

  it('invalidates through the decorator before the write response is sent', async () => {
    await http.get('/products', { authorization: 'Bearer acme' })
    const w = await http.send('POST', '/products', { authorization: 'Bearer acme' })
    expect(w.status).toBe(201)
    const after = await http.get('/products', { authorization: 'Bearer acme' })
    expect(after.header('x-cache')).toBe('MISS')
    expect(JSON.parse(String(after.body)).version).toBe(1)
    expect((await http.get('/products', { authorization: 'Bearer globex' })).header('x-cache')).toBe('HIT')
  })

  it('invalidates through the `invalidates` option of a decorated cacheResponse, on a 2xx only', async () => {
    const acme = { authorization: 'Bearer acme' }
    await http.get('/products', acme)
    expect((await http.get('/products', acme)).header('x-cache')).toBe('HIT')
    // A failed write (4xx, 5xx) invalidates nothing: the entry is still a hit.
    for (const status of ['422', '500']) {
      const w = await http.send('POST', '/products/update', { ...acme, 'x-status': status })
      expect(w.status).toBe(Number(status))
      expect([status, (await http.get('/products', acme)).header('x-cache')]).toEqual([status, 'HIT'])
    }
    const version = controller.version
    const ok = await http.send('POST', '/products/update', acme)
    expect(ok.status).toBe(200)
    expect(JSON.parse(String(ok.body))).toEqual({ version: version + 1 })
    // The write's response went out after the invalidation: the next read is fresh.
    const after = await http.get('/products', acme)
    expect(after.header('x-cache')).toBe('MISS')
    expect(JSON.parse(String(after.body)).version).toBe(version + 1)
    expect((await http.get('/products', acme)).header('x-cache')).toBe('HIT')
  })
})
