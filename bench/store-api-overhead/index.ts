// `npm run bench -- store-api-overhead`: what the store API's own middleware stack (request log,
// metrics, JSON body parser, route locals, auth, error handling) costs per request against a bare
// Express 5 app answering the same route with the same body: `/health`, and a cached product
// detail (an `X-Cache: HIT`, with API key auth). Same method as bench/http: the server runs in its
// own process (server.ts), autocannon here; server CPU per request is read from the server itself,
// since on a 2-core machine the load generator saturates its core before the server does.
// Variants alternate round by round so drift hits every variant alike.
// Env: BENCH_SECONDS (default 5), BENCH_ROUNDS (default 3), BENCH_CONNECTIONS (default 50),
// BENCH_VARIANTS (comma-separated parts of variant names, e.g. `info`; the bare baseline always runs),
// BENCH_PROFILE=1 (the server runs under `node --cpu-prof`; the .cpuprofile lands in the current directory).
import { spawn } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50)
const BASELINE = 'bare express'

const server = spawn(
  process.execPath,
  [
    ...(process.env.BENCH_PROFILE ? ['--cpu-prof'] : []),
    '--import',
    'tsx',
    fileURLToPath(new URL('./server.ts', import.meta.url)),
  ],
  { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, NODE_ENV: 'production' } },
)
const info = await new Promise<Record<string, number | string>>((resolve, reject) => {
  let out = ''
  server.stdout.on('data', (c: Buffer) => {
    out += String(c)
    if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))))
  })
  server.once('exit', (code) => reject(new Error(`server exited (${code})`)))
})
const wanted = process.env.BENCH_VARIANTS?.split(',').filter(Boolean)
const names = Object.keys(info).filter(
  (n) => !n.startsWith('_') && (!wanted || n === BASELINE || wanted.some((w) => n.includes(w))),
)

interface Sample {
  rps: number
  /** Server CPU (user + system) per request, µs. */
  cpu: number
  p50: number
  p99: number
  bad: number
}

async function serverCpu(): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${info._control}/cpu`)
  return ((await r.json()) as { micros: number }).micros
}

async function load(port: number, path: string, headers: Record<string, string>, seconds: number) {
  const before = await serverCpu()
  const r = await autocannon({
    url: `http://127.0.0.1:${port}${path}`,
    connections: CONNECTIONS,
    duration: seconds,
    headers,
  })
  const cpu = (await serverCpu()) - before
  return {
    rps: r.requests.average,
    cpu: cpu / Math.max(1, r.requests.total),
    p50: r.latency.p50,
    p99: r.latency.p99,
    bad: r.errors + r.timeouts + r.non2xx,
  } satisfies Sample
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number

async function scenario(title: string, path: string, headers: Record<string, string>) {
  const samples = new Map<string, Sample[]>(names.map((n) => [n, []]))
  // Warm-up: fills the caches and lets the JIT settle.
  for (const n of names) await load(info[n] as number, path, headers, 1)
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of round % 2 ? [...names].reverse() : names)
      samples.get(n)?.push(await load(info[n] as number, path, headers, SECONDS))
  }
  const rows = names.map((n) => {
    const s = samples.get(n) as Sample[]
    return {
      n,
      rps: median(s.map((x) => x.rps)),
      cpu: median(s.map((x) => x.cpu)),
      p50: median(s.map((x) => x.p50)),
      p99: median(s.map((x) => x.p99)),
      bad: s.reduce((a, x) => a + x.bad, 0),
    }
  })
  const base = rows.find((r) => r.n === BASELINE) ?? { rps: 1, cpu: 1 }
  console.log(`\n## ${title}`)
  console.log(
    '| variant | req/s | bare ÷ this (req/s) | server CPU µs/req | this ÷ bare (CPU/req) | p50 ms | p99 ms | errors+non-2xx |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows)
    console.log(
      `| ${r.n} | ${Math.round(r.rps).toLocaleString('en-US')} | ${(base.rps / r.rps).toFixed(2)}× | ${Math.round(r.cpu)} | ${(r.cpu / base.cpu).toFixed(2)}× | ${r.p50} | ${r.p99} | ${r.bad} |`,
    )
}

try {
  console.log(
    `bench/store-api-overhead: ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS}s per variant, median of rounds; ` +
      `machine ${cpus().length}× ${cpus()[0]?.model ?? '?'}, Node ${process.version}, load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  )
  await scenario('GET /health', '/health', {})
  await scenario(
    'GET /api/products/:id, a cache HIT (bare: the same body, no auth)',
    `/api/products/${info._product}`,
    {
      authorization: `Bearer ${info._key}`,
    },
  )
  console.log(
    `\nload average at the end: ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' ')}`,
  )
} finally {
  server.kill('SIGTERM')
}
