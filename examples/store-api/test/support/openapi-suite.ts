import { execFile } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { createConfig, lintFromString } from '@redocly/openapi-core'
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormats from 'ajv-formats'
import openapiTS, { astToString } from 'openapi-typescript'
import { beforeAll, describe, expect, it } from 'vitest'
import { type Client, call, newCompany, type Reply, results } from './client.js'
import { type CompanyData, populate } from './fixtures.js'
import type { Stack } from './stack.js'

const run = promisify(execFile)

type Json = Record<string, unknown>
interface Document {
  paths: Record<
    string,
    Record<string, { responses: Record<string, { content?: Record<string, { schema: Json }> }> }>
  >
  components: { schemas: Record<string, Json> }
}

/**
 * Checks answers against the document: for `method path` (the document's template) and the reply's
 * status, the JSON schema the document gives; refs resolve into its components, formats are checked.
 */
class ResponseValidator {
  private readonly ajv = new Ajv2020({ allErrors: true, strict: false })
  private readonly compiled = new Map<string, ValidateFunction>()

  constructor(private readonly doc: Document) {
    addFormats(this.ajv)
    const rebased = (v: unknown) =>
      JSON.parse(JSON.stringify(v).replaceAll('"#/components/schemas/', '"openapi#/$defs/')) as Json
    this.ajv.addSchema({ $id: 'openapi', $defs: rebased(doc.components.schemas) })
    this.rebased = rebased
  }

  private readonly rebased: (v: unknown) => Json

  /** The validation errors of `reply` (empty when it matches), naming what was checked. */
  check(method: string, path: string, reply: Reply): string[] {
    const key = `${method} ${path} ${reply.status}`
    let validate = this.compiled.get(key)
    if (!validate) {
      const response = this.doc.paths[path]?.[method]?.responses[String(reply.status)]
      const schema = response?.content?.['application/json']?.schema
      if (!schema) return [`${key}: not in the document`]
      validate = this.ajv.compile(this.rebased(schema))
      this.compiled.set(key, validate)
    }
    return validate(reply.body)
      ? []
      : (validate.errors ?? []).map(
          (e) => `${key}: ${e.instancePath} ${e.message} ${JSON.stringify(e.params)}`,
        )
  }
}

/** `/api/docs`: lints clean with Redocly's recommended rules, and live answers match it. */
export function openapiSuite(stack: Stack): void {
  const base = () => stack.url
  let doc: Document
  let validator: ResponseValidator
  let api: Client
  let data: CompanyData
  const ids: Record<string, number> = {}

  beforeAll(async () => {
    doc = (await call(base(), '/api/docs')).body as Document
    validator = new ResponseValidator(doc)
    api = (await newCompany(base, 'Openapi')).api
    data = await populate(api, 'O', 3)
    const movement = await api.post('/api/stock-movements', {
      product_id: data.products[0],
      warehouse_id: data.warehouses[0],
      type: 'in',
      quantity: 7,
    })
    expect(validator.check('post', '/api/stock-movements', movement)).toEqual([])
    ids['stock-movements'] = (movement.body as Json).id as number
    ids.stocks = Number(results(await api.get('/api/stocks'))[0]?.id)
    const invoice = await api.post('/api/invoices', {
      shop_id: data.shops[0],
      type: 'sale',
      lines: [{ product_id: data.products[0], quantity: 2 }],
    })
    expect(validator.check('post', '/api/invoices', invoice)).toEqual([])
    ids.invoices = (invoice.body as Json).id as number
    for (const resource of ['shops', 'categories', 'suppliers', 'warehouses', 'products'] as const) {
      ids[resource] = data[resource][0] as number
    }
  })

  describe('OpenAPI document', () => {
    it("passes Redocly's recommended lint rules with no error and no warning", async () => {
      const config = await createConfig({ extends: ['recommended'] })
      const problems = await lintFromString({
        source: JSON.stringify(doc),
        absoluteRef: 'openapi.json',
        config,
      })
      expect(problems.map((p) => `${p.severity} ${p.ruleId}: ${p.message}`)).toEqual([])
      expect(doc).toMatchObject({ info: { license: { name: 'MIT' } }, servers: [{ url: '/' }] })
    })

    it('types every list row: each resource has a row schema with its fields, and its pages use it', () => {
      for (const [name, field] of [
        ['Product', 'sale_price'],
        ['Stock', 'quantity'],
        ['StockMovement', 'type'],
        ['Invoice', 'lines'],
        ['Shop', 'city'],
        ['Category', 'name'],
        ['Supplier', 'email'],
        ['Warehouse', 'city'],
      ] as const) {
        expect(doc.components.schemas[name]?.properties, name).toHaveProperty(field)
        expect(doc.components.schemas[`${name}Page`], name).toMatchObject({
          properties: { results: { items: { $ref: `#/components/schemas/${name}` } } },
        })
      }
    })

    it('gives a client generated by openapi-typescript typed rows, pages and errors (strict tsc)', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hp-openapi-'))
      try {
        writeFileSync(join(dir, 'api.ts'), astToString(await openapiTS(doc as never)))
        // Each line must compile; each `@ts-expect-error` must meet an error (it would not on `unknown` rows).
        writeFileSync(
          join(dir, 'client.ts'),
          `import type { components, operations } from './api'
type Schemas = components['schemas']
type ProductList = operations['listProducts']['responses'][200]['content']['application/json']
declare const list: ProductList
const rows: Schemas['Product'][] = list.results
const price: string = rows[0]!.sale_price
const category: number | null = rows[0]!.category_id
if ('count' in list) { const n: number = list.count; void n }
else { const c: string | null = list.next_cursor; void c }
declare const invoice: Schemas['Invoice']
const qty: number = invoice.lines[0]!.quantity
const status: 'draft' | 'issued' | 'paid' | 'cancelled' = invoice.status
declare const movement: operations['listStockMovements']['responses'][200]['content']['application/json']
const kind: 'in' | 'out' | 'adjust' = movement.results[0]!.type
declare const missing: operations['getProduct']['responses'][404]['content']['application/json']
const code: string = missing.error.code
// @ts-expect-error money is a string, never a number
const float: number = rows[0]!.sale_price
// @ts-expect-error rows have exactly their fields
const extra = rows[0]!.no_such_field
void [price, category, qty, status, kind, code, float, extra]
`,
        )
        writeFileSync(
          join(dir, 'tsconfig.json'),
          JSON.stringify({
            compilerOptions: {
              strict: true,
              noEmit: true,
              noUncheckedIndexedAccess: true,
              exactOptionalPropertyTypes: true,
              module: 'esnext',
              moduleResolution: 'bundler',
              target: 'es2022',
              types: [],
            },
            files: ['client.ts'],
          }),
        )
        // tsc in a child process: a compile on this thread would stall the in-process server's
        // keep-alive timers, and the next request would meet a socket closed under it.
        const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc')
        const out = await run(process.execPath, [tsc, '-p', dir]).then(
          () => '',
          (e: { stdout?: string }) => e.stdout ?? String(e),
        )
        expect(out).toBe('')
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    })

    it.each([
      'shops',
      'categories',
      'suppliers',
      'warehouses',
      'products',
      'stocks',
      'stock-movements',
      'invoices',
    ])('the list (both envelopes) and detail answers of %s match the document', async (resource) => {
      const list = `/api/${resource}`
      const replies: Array<[string, Reply]> = [
        [list, await api.get(list)],
        [list, await api.get(`${list}?cursor=`)],
        [list, await api.get(`${list}?page=1&page_size=2`)],
        [`${list}/{id}`, await api.get(`${list}/${ids[resource]}`)],
      ]
      for (const [path, reply] of replies) {
        expect(reply.status, `${path} ${reply.text}`).toBe(200)
        expect(validator.check('get', path, reply)).toEqual([])
      }
      for (const [, reply] of replies.slice(0, 3)) expect(results(reply).length).toBeGreaterThan(0)
      // Both envelopes were checked: one reply has a count, another a cursor field.
      expect(replies.some(([, r]) => 'count' in (r.body as Json))).toBe(true)
      expect(replies.some(([, r]) => 'next_cursor' in (r.body as Json))).toBe(true)
    })

    it('error answers match the document: 404, 400, 422, 401, malformed JSON, 409', async () => {
      const checks: Array<[string, string, Reply, number]> = [
        ['get', '/api/products/{id}', await api.get('/api/products/999999'), 404],
        ['get', '/api/products', await api.get('/api/products?page=0'), 400],
        ['get', '/api/products', await api.get('/api/products?page=999'), 404],
        ['post', '/api/products', await api.post('/api/products', { name: '' }), 422],
        ['get', '/api/invoices', await call(base(), '/api/invoices'), 401],
        [
          'get',
          '/health',
          // A framed body (a GET without Content-Length sends none): every route parses JSON bodies.
          await call(base(), '/health', {
            raw: '{"broken',
            headers: { 'content-type': 'application/json', 'content-length': '8' },
          }),
          400,
        ],
        [
          'post',
          '/api/stock-movements',
          await api.post('/api/stock-movements', {
            product_id: data.products[1],
            warehouse_id: data.warehouses[0],
            type: 'out',
            quantity: 1,
          }),
          409,
        ],
      ]
      for (const [method, path, reply, status] of checks) {
        expect(reply.status, `${method} ${path} ${reply.text}`).toBe(status)
        expect(validator.check(method, path, reply)).toEqual([])
      }
      // The validator is not a rubber stamp: a row missing a field, or with a float price, fails.
      const product = (await api.get(`/api/products/${ids.products}`)).body as Json
      const { sku: _, ...noSku } = product
      const broken = { status: 200, headers: new Headers(), text: '', body: noSku }
      expect(validator.check('get', '/api/products/{id}', broken).join()).toMatch(/sku/)
      const float = { ...broken, body: { ...product, sale_price: 10.5 } }
      expect(validator.check('get', '/api/products/{id}', float).join()).toMatch(/sale_price/)
    })
  })
}
