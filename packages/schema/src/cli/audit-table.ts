import type { AuditReport } from '../audit-indexes.js'

/** The audit report as a plain-text table, one query per line, then a verdict line. */
export function formatAuditTable(report: AuditReport): string {
  const header = ['status', 'query', 'indexes', 'rows est.']
  const rows = report.results.map((r) => [
    r.status === 'full-scan' ? 'FAIL full scan' : r.status === 'small-table' ? 'ok (small table)' : 'ok',
    r.name,
    r.plan.indexes.length
      ? r.plan.indexes.join(', ')
      : r.plan.scannedTables.length
        ? `scan: ${r.plan.scannedTables.join(', ')}`
        : '(no table read)',
    r.plan.rowsEstimate === null ? '-' : String(r.plan.rowsEstimate),
  ])
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const fmt = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd()
  const failed = report.results.filter((r) => r.status === 'full-scan').length
  return [
    fmt(header),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...rows.map(fmt),
    '',
    report.ok
      ? `ok: ${report.results.length} queries, no full table scan`
      : `FAILED: ${failed} of ${report.results.length} queries scan a whole table`,
  ].join('\n')
}
