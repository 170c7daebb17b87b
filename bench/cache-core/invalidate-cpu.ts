// `node --import tsx bench/cache-core/invalidate-cpu.ts` (after `npm run build`): the CPU one
// operation of cache-core's "invalidate tag + read" row costs this process alone, on both client
// kinds of index.ts. As in hit-cpu.ts, the replies are recorded from the real Redis once, then every
// command the client writes is answered in process on the next turn of the event loop: the
// network, Redis and the kernel drop out, so the figure barely moves with the machine's load. Use it
// to compare two builds (alternating), not libraries. Beside hotpath: the same two commands sent
// bare on the same client (`DEL`, then `MGET`), the floor of any two-round-trip design.
// Env: REDIS_URL, HIT_OPS (default 20000), HIT_ROUNDS (default 5), VARIANTS (default
// bare,first,again,many; see `Variant`).
import { createHash } from 'node:crypto'
import { CacheManager } from '@hotpath/cache-kit'
import { redisStore } from '@hotpath/cache-kit/redis'
import { Redis } from 'ioredis'
import { INVALIDATE_TAGS, READ_MANY } from '../../packages/cache-kit/src/stores/redis-scripts.ts'
import { onEachClient, product } from './fixtures.ts'

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'
const OPS = Number(process.env.HIT_OPS ?? 20_000)
const ROUNDS = Number(process.env.HIT_ROUNDS ?? 5)
const sha = (lua: string) => createHash('sha1').update(lua).digest('hex')

/** RESP bytes of a bulk string (`null`: nil). */
const bulk = (b: Buffer | null) =>
  b ? Buffer.concat([Buffer.from(`$${b.length}\r\n`), b, Buffer.from('\r\n')]) : Buffer.from('$-1\r\n')
const array = (items: Buffer[]) => Buffer.concat([Buffer.from(`*${items.length}\r\n`), ...items])

/**
 * `bare`: `DEL` then `MGET` on the client itself. `first`: each key's first read (by script), 1,000
 * keys per store as in the row. `again`: a key read before (by MGET). `many`: a key never read
 * again, on one store, so its memo of 10,000 entries evicts one per read.
 */
type Variant = 'bare' | 'first' | 'again' | 'many'

/**
 * Answers the commands `client` writes, as its socket would, without sending them: the first
 * command name found in a write picks its reply (one command per write at concurrency 1).
 */
function answer(client: Redis, replies: [marker: string, reply: Buffer][]): void {
  const socket = (client as unknown as { stream: NodeJS.WritableStream & NodeJS.EventEmitter }).stream
  const write = socket.write.bind(socket) as (chunk: string | Buffer, ...rest: unknown[]) => boolean
  socket.write = ((chunk: string | Buffer, ...rest: unknown[]) => {
    for (const [marker, reply] of replies)
      if (chunk.includes(marker)) {
        setImmediate(() => socket.emit('data', reply))
        return true
      }
    return write(chunk, ...rest)
  }) as typeof socket.write
}

async function measure(name: string, client: Redis, variant: Variant): Promise<string> {
  const prefix = `hpinv:${process.pid}:${name}:${variant}`
  const newCache = () =>
    new CacheManager({ store: redisStore({ client }), prefix, ttl: '10m', timeout: '1s' })
  const cache = newCache()
  let reader = cache
  await cache.set('k', product, { tags: ['hot'] })
  await cache.invalidateTags(['hot'])
  const entry = await client.getBuffer(`${prefix}:k`)
  // The entry as Redis answers it right after the invalidation: its tag has no version.
  answer(client, [
    [sha(INVALIDATE_TAGS), Buffer.from(':1\r\n')],
    [sha(READ_MANY), array([array([bulk(entry), bulk(Buffer.alloc(0))])])],
    ['\r\nmget\r\n', array([bulk(entry), bulk(null)])],
    ['\r\ndel\r\n', Buffer.from(':0\r\n')],
  ])
  let n = 0
  const op =
    variant === 'bare'
      ? async () => {
          await client.del(`${prefix}#t:hot`)
          await client.mgetBuffer(`${prefix}:k`, `${prefix}#t:hot`)
        }
      : async () => {
          // A key this store never read goes by script (a fresh store every 1,000 keys, as the row
          // reads 1,000 keys: no eviction from its memo of 10,000); the same key again by MGET.
          if (variant === 'first' && n % 1000 === 0) reader = newCache()
          await reader.invalidateTags(['hot'])
          const key = variant === 'first' ? `k${n++ % 1000}` : variant === 'many' ? `k${n++}` : 'k'
          if ((await reader.get(key)) !== undefined) throw new Error(`${name}: read an invalid entry`)
        }
  for (let i = 0; i < 2000; i++) await op()
  const cpu: number[] = []
  for (let round = 0; round < ROUNDS; round++) {
    const before = process.cpuUsage()
    for (let i = 0; i < OPS; i++) await op()
    const used = process.cpuUsage(before)
    cpu.push((used.user + used.system) / OPS)
  }
  await cache.close()
  cpu.sort((a, b) => a - b)
  const median = cpu[Math.floor(cpu.length / 2)] as number
  return `${name}, ${variant}: ${median.toFixed(2)} µs (lowest ${(cpu[0] as number).toFixed(2)})`
}

async function main(): Promise<void> {
  console.log(
    `CPU µs per invalidate + read in this process, replies answered in process (median of ${ROUNDS}):`,
  )
  for (const variant of (process.env.VARIANTS?.split(',') ?? ['bare', 'first', 'again', 'many']) as Variant[])
    await onEachClient(url, async (name, client) => {
      console.log(`  ${await measure(name, client, variant)}`)
    })
  const admin = new Redis(url)
  const keys = await admin.keys(`hpinv:${process.pid}:*`)
  if (keys.length) await admin.unlink(...keys)
  admin.disconnect()
}

main().catch((err) => {
  console.error(err)
  process.exitCode = 1
})
