// `node --import tsx bench/cache-core/delay-proxy.ts [port] [target] [ms]`: a TCP proxy in front of
// Redis that holds every chunk `ms` milliseconds (default 1) in each direction, so that a round trip
// costs what it costs on a network (a local Redis answers in tens of µs; across hosts or zones it is
// 0.2 ms to a few ms). Node's timers are coarse: 1 ms asked is about 1.1 ms given, a round trip
// about 2.3 ms. Point any bench at it (`REDIS_URL=redis://127.0.0.1:<port>`); every library then
// pays the same delay per round trip. Chunks keep their order (equal timers fire in order).
// Defaults: port 6390, target redis://127.0.0.1:6379.
import { connect, createServer, type Socket } from 'node:net'

const port = Number(process.argv[2] ?? 6390)
const target = new URL(process.argv[3] ?? 'redis://127.0.0.1:6379')
const ms = Number(process.argv[4] ?? 1)
if (!Number.isInteger(port) || !(ms >= 0)) throw new Error('usage: delay-proxy.ts [port] [target] [ms]')

/** Forwards what `from` sends to `to`, each chunk `ms` later. */
function pipeLate(from: Socket, to: Socket): void {
  from.on('data', (chunk) => {
    setTimeout(() => {
      if (!to.destroyed) to.write(chunk)
    }, ms)
  })
  from.on('close', () => setTimeout(() => to.destroy(), ms))
  from.on('error', () => to.destroy())
}

createServer((client) => {
  client.setNoDelay(true)
  const upstream = connect(Number(target.port || 6379), target.hostname)
  upstream.setNoDelay(true)
  pipeLate(client, upstream)
  pipeLate(upstream, client)
}).listen(port, '127.0.0.1', () => {
  console.log(`delay-proxy: 127.0.0.1:${port} → ${target.host}, ${ms} ms each way`)
})
