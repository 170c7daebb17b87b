// `npm run bench -- http`: Express 5 response caching, hits on a ~15 KB page of 50 products.
// The server runs in its own process (server.ts); autocannon runs here, 100 connections, and the
// variants are alternated round by round so drift hits every variant alike.
// Env: REDIS_URL (default redis://127.0.0.1:6379), BENCH_SECONDS (default 5), BENCH_ROUNDS (default 3),
// BENCH_VARIANTS (comma-separated parts of variant names to run, e.g. `ceiling,memory,apicache`; default all).
import { spawn } from 'node:child_process'
import { cpus } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = 100
const CEILING = 'ceiling res.send'
const PATH = '/api/products?page=2&page_size=50'

const server = spawn(
  process.execPath,
  ['--import', 'tsx', fileURLToPath(new URL('./server.ts', import.meta.url))],
  {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: process.env,
  },
)
const ports = await new Promise<Record<string, number>>((resolve, reject) => {
  let out = ''
  server.stdout.on('data', (c: Buffer) => {
    out += String(c)
    if (out.includes('\n')) resolve(JSON.parse(out.slice(0, out.indexOf('\n'))))
  })
  server.once('exit', (code) => reject(new Error(`server exited (${code})`)))
})

interface Sample {
  rps: number
  /** Server CPU (user + system) per request, µs. */
  cpu: number
  p50: number
  p99: number
  errors: number
  non2xx: number
  bytes: number
}

async function serverCpu(): Promise<number> {
  const r = await fetch(`http://127.0.0.1:${ports._control}/cpu`)
  return ((await r.json()) as { micros: number }).micros
}

async function load(port: number, headers: Record<string, string>, seconds: number): Promise<Sample> {
  const before = await serverCpu()
  const s = await autocannonRun(port, headers, seconds)
  s.cpu = (await serverCpu()) - before
  s.cpu /= Math.max(1, s.rps * seconds)
  return s
}

function autocannonRun(port: number, headers: Record<string, string>, seconds: number): Promise<Sample> {
  return new Promise((resolve, reject) => {
    autocannon(
      { url: `http://127.0.0.1:${port}${PATH}`, connections: CONNECTIONS, duration: seconds, headers },
      (err, r) => {
        if (err) return reject(err)
        resolve({
          rps: r.requests.average,
          cpu: 0,
          p50: r.latency.p50,
          p99: r.latency.p99,
          errors: r.errors + r.timeouts,
          non2xx: r.non2xx,
          bytes: r.throughput.average / Math.max(1, r.requests.average),
        })
      },
    )
  })
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] as number
}

async function scenario(title: string, headers: Record<string, string>) {
  const wanted = process.env.BENCH_VARIANTS?.split(',').filter(Boolean)
  const names = Object.keys(ports).filter(
    (n) => n !== '_control' && (!wanted || n === CEILING || wanted.some((w) => n.includes(w))),
  )
  const samples = new Map<string, Sample[]>(names.map((n) => [n, []]))
  // Warm-up: fills every cache and lets the JIT settle.
  for (const n of names) await load(ports[n] as number, headers, 1)
  for (let round = 0; round < ROUNDS; round++) {
    for (const n of round % 2 ? [...names].reverse() : names) {
      samples.get(n)?.push(await load(ports[n] as number, headers, SECONDS))
    }
  }
  const rows = names.map((n) => {
    const s = samples.get(n) as Sample[]
    return {
      n,
      rps: median(s.map((x) => x.rps)),
      p50: median(s.map((x) => x.p50)),
      p99: median(s.map((x) => x.p99)),
      cpu: median(s.map((x) => x.cpu)),
      bytes: median(s.map((x) => x.bytes)),
      bad: s.reduce((a, x) => a + x.errors + x.non2xx, 0),
    }
  })
  const ceiling = rows.find((r) => r.n === CEILING) ?? { rps: 1, cpu: 1 }
  console.log(`\n## ${title}`)
  console.log(
    '| variant | req/s | × ceiling | p50 ms | p99 ms | server CPU µs/req | ceiling CPU ÷ this | bytes/resp | errors+non-2xx |',
  )
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|')
  for (const r of rows)
    console.log(
      `| ${r.n} | ${Math.round(r.rps).toLocaleString('en-US')} | ${(r.rps / ceiling.rps).toFixed(2)} | ${r.p50} | ${r.p99} | ${Math.round(r.cpu)} | ${(ceiling.cpu / r.cpu).toFixed(2)} | ${Math.round(r.bytes)} | ${r.bad} |`,
    )
}

try {
  console.log(
    `bench/http: ${CONNECTIONS} connections, ${ROUNDS} rounds × ${SECONDS}s per variant, median of rounds; ` +
      `machine ${cpus().length}× ${cpus()[0]?.model ?? '?'}, Node ${process.version}`,
  )
  await scenario('clients sending Accept-Encoding: gzip', {
    authorization: 'Bearer acme',
    'accept-encoding': 'gzip',
  })
  await scenario('clients without Accept-Encoding', { authorization: 'Bearer acme' })
} finally {
  server.kill('SIGTERM')
}
