import { readFileSync } from 'node:fs'
import { cpus } from 'node:os'

/** One line of the results table: a value per library (higher is better). */
export interface Row {
  scenario: string
  unit: string
  values: Record<string, number>
  notes?: Record<string, string>
  /** CPU µs of the benchmark process per operation, per library (printed under the table). */
  cpu?: Record<string, number>
}

/** Runs `op` `ops` times over `concurrency` workers after a warm-up; returns operations per second. */
export async function run(
  op: () => Promise<unknown>,
  o: { ops: number; concurrency: number; warmup?: number },
): Promise<number> {
  for (let i = 0; i < (o.warmup ?? Math.min(1000, o.ops / 10)); i++) await op()
  let left = o.ops
  const t0 = process.hrtime.bigint()
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (left-- > 0) await op()
    }),
  )
  const s = Number(process.hrtime.bigint() - t0) / 1e9
  return o.ops / s
}

const fmt = (n: number) => (n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1))

/**
 * Prints the table with each base library's ratio to each other library (`bases` defaults to the
 * first library alone).
 */
export function printTable(rows: Row[], libs: string[], bases: string[] = libs.slice(0, 1)): void {
  const others = libs.filter((l) => !bases.includes(l))
  const pairs = bases.flatMap((b) => others.map((o) => [b, o] as const))
  const head = ['scenario', 'unit', ...libs, ...pairs.map(([b, o]) => `${b}/${o}`)]
  const body = rows.map((r) => [
    r.scenario,
    r.unit,
    ...libs.map((l) => {
      const v = r.values[l]
      const note = r.notes?.[l]
      return v === undefined ? 'n/a' : `${fmt(v)}${note ? ` (${note})` : ''}`
    }),
    ...pairs.map(([base, o]) => {
      const a = r.values[base]
      const b = r.values[o]
      return a === undefined || b === undefined ? 'n/a' : `${(a / b).toFixed(2)}×`
    }),
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b[i] as string).length)))
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] as number)).join(' | ')} |`
  console.log(line(head))
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`)
  for (const b of body) console.log(line(b))
  const withCpu = rows.filter((r) => r.cpu)
  if (withCpu.length) {
    console.log(
      '\nCPU µs per operation in this process (lowest of the rounds, or over the one pass of a row without rounds; Redis not included):',
    )
    for (const r of withCpu) {
      const cpu = r.cpu ?? {}
      const cells = libs.flatMap((l) => (cpu[l] === undefined ? [] : [`${l} ${cpu[l].toFixed(1)}`]))
      console.log(`  ${r.scenario}: ${cells.join(', ')}`)
    }
  }
  console.log(`\nmachine: ${cpus().length}× ${cpus()[0]?.model ?? '?'}, Node ${process.version}`)
}

/** `name@version` of installed packages, for the record in docs/performance.md. */
export function libraryVersions(names: string[]): string {
  return names
    .map((n) => {
      try {
        const url = new URL(`../../node_modules/${n}/package.json`, import.meta.url)
        return `${n}@${(JSON.parse(readFileSync(url, 'utf8')) as { version: string }).version}`
      } catch {
        return `${n}@?`
      }
    })
    .join(', ')
}
