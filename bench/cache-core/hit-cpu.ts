// `node --import tsx bench/cache-core/hit-cpu.ts` (after `npm run build`): the CPU one tagged L2 hit
// costs this process alone, on both client kinds of index.ts. The entry is written to the real
// Redis and its MGET reply recorded once; from then on every MGET the client writes is answered
// with those bytes on the next turn of the event loop, without the socket. The network, Redis and
// the kernel drop out, so the figure barely moves with the machine's load: use it to compare two
// builds of the read path (run it on each, alternating), not to compare libraries (index.ts does).
// Env: REDIS_URL, HIT_OPS (default 60000), HIT_ROUNDS (default 5).
import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import type { Redis } from 'ioredis'
import { onEachClient, product } from './fixtures.ts'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const OPS = Number(process.env.HIT_OPS ?? 60_000)
const ROUNDS = Number(process.env.HIT_ROUNDS ?? 5)

/** RESP bytes of an MGET reply answering `reads` reads of the entry whose reply is `one`. */
function mgetReply(one: (Buffer | null)[], reads: number): Buffer {
  const chunks = [Buffer.from(`*${one.length * reads}\r\n`)]
  for (let r = 0; r < reads; r++)
    for (const p of one)
      chunks.push(
        p ? Buffer.concat([Buffer.from(`$${p.length}\r\n`), p, Buffer.from('\r\n')]) : Buffer.from('$-1\r\n'),
      )
  return Buffer.concat(chunks)
}

/**
 * Answers every MGET `client` writes, as its socket would, without sending it: each read in it
 * (a tick's reads are one MGET) gets `one`, the recorded reply of one read.
 */
function answerMgets(client: Redis, one: (Buffer | null)[]): void {
  const socket = (client as unknown as { stream: NodeJS.WritableStream & NodeJS.EventEmitter }).stream
  const write = socket.write.bind(socket) as (chunk: string | Buffer, ...rest: unknown[]) => boolean
  const replies = new Map<number, Buffer>()
  socket.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
    if (!chunk.includes('\r\nmget\r\n')) return write(chunk, ...rest)
    // `*<1 + keys>\r\n$4\r\nmget\r\n…`
    const head = typeof chunk === 'string' ? chunk : chunk.toString('latin1', 0, 16)
    const keys = Number(head.slice(1, head.indexOf('\r\n'))) - 1
    const reads = keys / one.length
    const reply = replies.get(reads) ?? mgetReply(one, reads)
    replies.set(reads, reply)
    setImmediate(() => socket.emit('data', reply))
    return true
  }) as typeof socket.write
}

async function measure(name: string, client: Redis, concurrency: number): Promise<string> {
  const prefix = `hpcpu:${process.pid}:${name}:${concurrency}`
  const cache = new CacheManager({ store: redisStore({ client }), prefix, ttl: '10m', timeout: '1s' })
  await cache.set('warm', product, { tags: ['t1', 't2'] })
  if (JSON.stringify(await cache.get('warm')) !== JSON.stringify(product))
    throw new Error(`${name}: not readable`)
  answerMgets(client, await client.mgetBuffer(`${prefix}:warm`, `${prefix}#t:t1`, `${prefix}#t:t2`))
  for (let i = 0; i < 3000; i++) await cache.get('warm')
  const cpu: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    let left = OPS
    const before = process.cpuUsage()
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        while (left-- > 0) await cache.get('warm')
      }),
    )
    const used = process.cpuUsage(before)
    cpu.push((used.user + used.system) / OPS)
  }
  if (cache.stats().misses > 0) throw new Error(`${name}: ${cache.stats().misses} reads missed`)
  await cache.close()
  const tagged = ['t1', 't2'].flatMap((t) => [`${prefix}#t:${t}`, `${prefix}#n:${t}`])
  await client.unlink(`${prefix}:warm`, ...tagged)
  cpu.sort((a, b) => a - b)
  const median = cpu[Math.floor(cpu.length / 2)] as number
  return `${name}, concurrency ${concurrency}: ${median.toFixed(2)} µs (lowest ${(cpu[0] as number).toFixed(2)})`
}

async function main(): Promise<void> {
  console.log(
    `CPU µs per tagged L2 hit in this process, MGET answered in process (median of ${ROUNDS} rounds):`,
  )
  for (const concurrency of [1, 32])
    await onEachClient(url, async (name, client) => {
      console.log(`  ${await measure(name, client, concurrency)}`)
    })
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
