/**
 * Writes docs/reliability.md from the results the last `npm run test:resilience` left in
 * reports/resilience/: `npx tsx test/resilience/report.ts`.
 */
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import { readResults, type StoredResult } from './support/results.js'

const DOC = fileURLToPath(new URL('../../docs/reliability.md', import.meta.url))

/** Notes worth repeating next to a failure: the phase split, crashes, 500 causes, the first stale read. */
const KEY_NOTE =
  /before \/ during|exited|service log|older than|read version|answered \{|expected|sent at the kill|lease keys|slow:/

const cell = (v: number | null, unit = '') => (v === null ? '—' : `${v}${unit}`)

function row(r: StoredResult): string {
  return `| ${r.title} | ${r.requests} | ${r.fiveXx} | ${r.wrong} | ${cell(r.lostWrites)} | ${cell(r.recoveryMs, ' ms')} | ${r.passed ? 'pass' : '**FAIL**'} |`
}

function details(r: StoredResult): string {
  const keys = Object.keys(r.expected)
  const lines = keys.map((k) => {
    const a = JSON.stringify(r.actual[k])
    const e = JSON.stringify(r.expected[k])
    return `| ${k} | ${e} | ${a === e ? a : `**${a}**`} |`
  })
  return [
    `### ${r.title}`,
    '',
    `\`${r.id}\` · ${r.group} · ${r.at} · load ${r.load1 ?? '?'} · ${r.passed ? 'pass' : '**FAIL**'}`,
    '',
    '| figure | expected | measured |',
    '| ------ | -------- | -------- |',
    ...lines,
    '',
    ...r.notes.map((n) => `- ${n.replace(/\|/g, '\\|')}`),
    '',
  ].join('\n')
}

const { run, results } = readResults()
if (results.length === 0)
  throw new Error('no results in reports/resilience/: run `npm run test:resilience` first')
const dates = results.map((r) => r.at).sort()
const failing = results.filter((r) => !r.passed)
const loads = results.map((r) => r.load1).filter((l) => typeof l === 'number')
const loadRange = loads.length ? `${Math.min(...loads)}–${Math.max(...loads)}` : 'not recorded'
/** More runnable work than CPUs at some point: other work than the suite's own was running. */
const busy = loads.some((l) => l > cpus().length + 1)
const doc = `# Reliability

What the store API (MariaDB + Redis) does when things break and when clients are hostile, measured by
the resilience suite (\`test/resilience/\`). The suite starts the real service — \`node
examples/store-api/dist/cli.js serve\`, one or two instances as child processes — on servers it owns
(\`@hotpath/test-services/faults\`: a private redis-server, a private MariaDB, a six-node Redis
Cluster), drives it with a bounded load (at most \`RESILIENCE_RATE\` requests/s, default 250, 16 in
flight; what a 2-core machine running the service, MariaDB and the driver achieves is lower: see
the request counts), breaks one thing for a fixed window (\`RESILIENCE_FAULT_S\`, default 5 s) with
\`RESILIENCE_PHASE_S\` (default 2 s) of load before and after it, and checks
every response against what the suite knows is true.

This page is generated from a real run:

\`\`\`sh
npm run build                      # the suite drives the built service (examples/store-api/dist)
npm run test:resilience            # writes reports/resilience/<run>/*.json; also in .ci/run
npx tsx test/resilience/report.ts  # writes this page
\`\`\`

Run \`${run}\`, ${dates[0]} to ${dates.at(-1)}, on ${cpus().length} CPU(s) (${cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}.
Machine load (1-minute load average as each scenario finished): ${loadRange} on ${cpus().length} CPUs.
${busy ? 'Other work ran on the same machine, so latencies and request counts are those of a loaded machine' : 'The service, its servers and the driver share the machine'} (the driver's rate is a ceiling, not what was reached).
${failing.length === 0 ? 'Every scenario passed.' : `**${failing.length} of ${results.length} scenarios failed** — see "What failed" below.`}

## Summary

| fault or attack | requests | 5xx | wrong responses | lost writes | recovery | verdict |
| --------------- | -------: | --: | --------------: | ----------: | -------: | ------- |
${results.map(row).join('\n')}

How to read it:

- **requests**: requests the load driver sent (attack tables: requests of the table).
- **5xx**: responses ≥ 500 the contract does not allow there, plus requests with no response at all
  (a database outage's \`503 database_unavailable\` is allowed and not counted; a killed instance's
  refused connections are not counted). cache-kit cluster row: \`getOrSet\` calls that threw.
- **wrong responses**: a 2xx whose body is not the truth. For the fault scenarios a hot product's
  price (or stock) older than the last write acknowledged *before the read was sent*, or newer than
  any write sent; a created field changed; a list page whose ids are not exactly the expected ones;
  an error without the contract's error code. For attack tables: cases whose status or body differs
  from the expected one.
- **lost writes**: acknowledged writes (\`201\` movements, \`200\` price changes, issued invoices)
  missing from the database afterwards, plus stocks whose quantity differs from their ledger.
- **recovery**: from the end of the fault (from the kill where nothing is restarted: the cluster
  rows) to the moment the broken part works again; each scenario's note says what it measures.

${
  failing.length
    ? `## What failed\n\n${failing
        .map(
          (r) =>
            `- **${r.title}**: ${Object.keys(r.expected)
              .filter((k) => JSON.stringify(r.actual[k]) !== JSON.stringify(r.expected[k]))
              .map((k) => `${k} ${JSON.stringify(r.actual[k])} (expected ${JSON.stringify(r.expected[k])})`)
              .join(', ')}. ${r.notes
              .filter((n) => KEY_NOTE.test(n))
              .slice(0, 3)
              .join(' · ')
              .replace(/\|/g, '\\|')}`,
        )
        .join('\n')}\n`
    : ''
}
## Scenarios

${results.map(details).join('\n')}
## Where else, what is not covered, and where the suite departs from its brief

- Redis Cluster: the store API runs on the suite's own six-node cluster through
  \`REDIS_CLUSTER_NODES\` (\`cluster-store-api\`: catalogue load, one master killed, its replica
  promoted). cache-kit's behavioural suite (\`storeBehaviour\` from \`@hotpath/cache-kit/test-suite\`)
  runs against a Redis Cluster twice: in \`npm test\` on the shared three-master cluster
  (\`packages/cache-kit/test/redis-cluster.test.ts\`, plus the coherence and strict-consistency
  files), and here on the replicated cluster just before its master is killed
  (\`cluster-failover.test.ts\`). The store API's own cluster e2e test (two instances, invalidation)
  is \`examples/store-api/test/redis-cluster.test.ts\`.
- The tenant-isolation fuzz runs a minute (\`RESILIENCE_FUZZ_S\`, default 60).
- "Requests slowed only within the cache timeout" is checked per request: no request that was in
  flight when Redis was killed or paused, or sent at any time after that until the end of the run,
  may take longer than 4 × the cache timeout (\`CACHE_TIMEOUT_MS\`, which the suite sets to the
  service's default, 200 ms) + 1 s of the handler's own time on this loaded machine: what a fault
  leaves behind once it is over counts too. A hung cache would hold requests until the driver's
  10 s timeout.
- The suite fails the run if it leaves anything behind (\`support/run-guard.ts\`: a process of the
  run still alive, a file in the run's own \`TMPDIR\`), and fails at once, never skips, when
  \`redis-server\` or MariaDB's binaries are missing.
`
writeFileSync(DOC, doc)
console.log(`wrote ${DOC} (${results.length} scenarios, ${failing.length} failing)`)
