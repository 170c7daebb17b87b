import type { Knex } from 'knex'

/** Deterministic PRNG (mulberry32), so every database gets the same rows. */
export function random(seed: number): () => number {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) | 0
    let t = Math.imul(a ^ (a >>> 15), 1 | a)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const NAMES = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot']
const BASE = Date.UTC(2024, 0, 1)

export interface ItemRow {
  tenant: number
  score: number | null
  name: string
  created_at: Date
}

/** Rows with many duplicate sort values and ~20 % NULL scores. */
export function makeItems(n: number, tenant: (i: number) => number, seed: number): ItemRow[] {
  const r = random(seed)
  return Array.from({ length: n }, (_, i) => ({
    tenant: tenant(i),
    score: r() < 0.2 ? null : Math.floor(r() * 6),
    name: NAMES[Math.floor(r() * NAMES.length)]!,
    created_at: new Date(BASE + Math.floor(r() * 10) * 3_600_000),
  }))
}

export async function createItems(knex: Knex, table: string): Promise<void> {
  await knex.schema.createTable(table, (t) => {
    t.increments('id').primary()
    t.integer('tenant').notNullable()
    t.integer('score').nullable()
    t.string('name', 20).notNullable()
    t.datetime('created_at', { precision: 0 }).notNullable()
  })
}

type Comparable = string | number | Date | null

function cmp(a: Comparable, b: Comparable): number {
  if (a === b) return 0
  if (a === null) return -1 // NULL sorts smallest on every database
  if (b === null) return 1
  const x = a instanceof Date ? a.getTime() : a
  const y = b instanceof Date ? b.getTime() : b
  return x < y ? -1 : x > y ? 1 : 0
}

/** The ids of `rows` in `ordering` order (`-col` descending), with the id tiebreaker in the last direction. */
export function referenceOrder(rows: Array<Record<string, unknown>>, ordering: string): number[] {
  const terms = ordering.split(',').map((p) => ({ col: p.replace(/^-/, ''), desc: p.startsWith('-') }))
  if (!terms.some((t) => t.col === 'id')) terms.push({ col: 'id', desc: terms[terms.length - 1]!.desc })
  return [...rows]
    .sort((a, b) => {
      for (const t of terms) {
        const c = cmp(a[t.col] as Comparable, b[t.col] as Comparable)
        if (c !== 0) return t.desc ? -c : c
      }
      return 0
    })
    .map((r) => Number(r.id))
}
