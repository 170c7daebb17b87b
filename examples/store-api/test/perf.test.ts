import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, expect, it } from 'vitest'
import { perfCommand } from '../src/perf/perf-command.js'
import { newCompany } from './support/client.js'
import { populate } from './support/fixtures.js'
import { useStack } from './support/stack.js'

const stack = useStack('sqlite+memory')
const out = mkdtempSync(join(tmpdir(), 'hotpath-perf-'))
afterAll(() => rmSync(out, { recursive: true, force: true }))

it('perf --url drives the mix, counts X-Cache, and writes the JSON and HTML reports', async () => {
  const company = await newCompany(() => stack.url, 'Perfco')
  await populate(company.api, 'P', 30)
  const printed: string[] = []
  const { report, jsonPath, htmlPath } = await perfCommand(
    { users: 4, requests: 25, url: stack.url, key: company.api.key, writeRatio: 0.1, out, cache: 'both' },
    {},
    (s) => printed.push(s),
  )
  const phase = report.phases[0]?.result
  expect(report.phases).toHaveLength(1)
  expect(phase?.requests).toBe(100)
  expect(phase?.errors).toBe(0)
  expect(phase?.successRate, JSON.stringify(phase?.statuses)).toBe(1)
  const cacheable = Object.values(phase?.xCache ?? {}).reduce((a, b) => a + b, 0)
  expect(cacheable).toBeGreaterThan(0)
  expect(phase?.cacheHitRate).toBeGreaterThan(0)
  expect(phase?.latency.p50).toBeLessThanOrEqual(phase?.latency.p99 ?? 0)
  expect(printed.join('\n')).toMatch(
    /phase\s+requests\s+req\/s\s+avg ms\s+p50 ms\s+p95 ms\s+p99 ms\s+success\s+cache hit/,
  )
  const json = JSON.parse(readFileSync(jsonPath, 'utf8')) as { phases: { result: { requests: number } }[] }
  expect(json.phases[0]?.result.requests).toBe(100)
  const html = readFileSync(htmlPath, 'utf8')
  expect(html).toContain('aria-label="latency histogram"')
  expect(html).toContain('aria-label="cache hit rate over time"')
  expect(html).not.toMatch(/<script|(src|href)="https?:/)
})
