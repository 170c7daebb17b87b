/**
 * Median latency (ms) of `fn`: one warm-up, then `reps` samples (at least 3, stopping after ~2 s);
 * sub-20 ms operations take up to 51 samples, since a shared 2-core machine jitters by a millisecond.
 */
export async function median(fn: () => Promise<unknown>, reps = 9): Promise<number> {
  const t0 = performance.now()
  await fn()
  const max = performance.now() - t0 < 20 ? 51 : reps
  const samples: number[] = []
  const started = performance.now()
  while (samples.length < max && (samples.length < 3 || performance.now() - started < 2000)) {
    const t = performance.now()
    await fn()
    samples.push(performance.now() - t)
  }
  samples.sort((a, b) => a - b)
  return samples[Math.floor(samples.length / 2)]!
}

/** Formats ms with 2 significant decimals below 10 ms. */
export function ms(v: number): string {
  return v < 10 ? v.toFixed(2) : v.toFixed(1)
}

/** Prints an aligned table. */
export function printTable(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')
  console.log(line(head))
  console.log(widths.map((w) => '-'.repeat(w)).join('  '))
  for (const r of rows) console.log(line(r))
}
