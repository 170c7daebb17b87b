import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { CacheManager, cached } from '@hotpath/cache-kit'
import ts from 'typescript'
import { afterAll, expect, it } from 'vitest'
import type { defineProducts as Define } from './fixtures/decorated-service.js'

const dir = mkdtempSync(join(tmpdir(), 'hotpath-deco-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

async function load(): Promise<typeof Define> {
  const source = readFileSync(new URL('./fixtures/decorated-service.ts', import.meta.url), 'utf8')
  const js = ts.transpileModule(source, {
    compilerOptions: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext },
  }).outputText
  const file = join(dir, 'decorated-service.mjs')
  writeFileSync(file, js)
  return ((await import(pathToFileURL(file).href)) as { defineProducts: typeof Define }).defineProducts
}

it('@cached (standard decorator) serves a method through getOrSet, keyed and tagged from its arguments', async () => {
  const cache = new CacheManager({ prefix: 'deco' })
  let calls = 0
  const Products = (await load())(cached, cache, () => calls++)
  const products = new Products({ 1: 'chair', 2: 'desk' })
  expect(await products.find(1)).toEqual({ id: 1, name: 'chair' })
  expect(await products.find(1)).toEqual({ id: 1, name: 'chair' })
  expect(await products.find(2)).toEqual({ id: 2, name: 'desk' })
  expect(calls).toBe(2)
  expect(await cache.get('product:1')).toEqual({ id: 1, name: 'chair' })
  await cache.invalidateTags(['product:1'])
  expect(await products.find(1)).toEqual({ id: 1, name: 'chair' })
  expect(calls).toBe(3)
})
