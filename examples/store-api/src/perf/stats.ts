/** Latency summary of one run, in milliseconds. */
export interface LatencySummary {
  readonly avg: number
  readonly p50: number
  readonly p95: number
  readonly p99: number
  readonly max: number
}

/** Percentile by nearest rank over an ascending-sorted array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))
  return sorted[rank] ?? 0
}

/** Average and percentiles of `latencies` (ms). */
export function summarize(latencies: readonly number[]): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b)
  const sum = sorted.reduce((a, b) => a + b, 0)
  return {
    avg: sorted.length ? sum / sorted.length : 0,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted.at(-1) ?? 0,
  }
}

/** Counts of latencies in `bins` equal-width buckets up to the p99 (the tail goes in the last bucket). */
export function histogram(
  latencies: readonly number[],
  bins = 30,
): { from: number; to: number; count: number }[] {
  if (latencies.length === 0) return []
  const top = Math.max(
    1,
    percentile(
      [...latencies].sort((a, b) => a - b),
      99,
    ),
  )
  const width = top / bins
  const counts = new Array<number>(bins).fill(0)
  for (const l of latencies) {
    const i = Math.min(bins - 1, Math.floor(l / width))
    counts[i] = (counts[i] ?? 0) + 1
  }
  return counts.map((count, i) => ({ from: i * width, to: (i + 1) * width, count }))
}
