import { createHash } from 'node:crypto'
import { Command, type Redis } from 'ioredis'

/**
 * Commands the store sends as they are, even on a client with `enableAutoPipelining`: the store
 * batches per I/O phase already, and ioredis's own pipeline around one command (a `Pipeline` and
 * a `setImmediate` hop) cost a tagged hit at concurrency 1 about twice the CPU. The client's
 * `keyPrefix` applies as it does to ioredis's own command functions. `Command` comes from the
 * package import: an ioredis instance's `constructor` is `EventEmitter` (ioredis mixes it in).
 */

/** `MGET` of `keys`, replies as buffers (`null` for a missing key). */
export function directMget(client: Redis): (keys: string[]) => Promise<(Buffer | null)[]> {
  const keyPrefix = client.options.keyPrefix
  if (keyPrefix)
    return (keys) => {
      const command = new Command('mget', keys, { replyEncoding: null, keyPrefix })
      client.sendCommand(command)
      return command.promise as Promise<(Buffer | null)[]>
    }
  const options = { replyEncoding: null }
  return (keys) => {
    // The keys go in after construction: the constructor flattens its arguments (`args.flat()`),
    // which costs more than the rest of building the command; the keys are strings already.
    const command = new Command('mget', [], options)
    command.args = keys
    client.sendCommand(command)
    return command.promise as Promise<(Buffer | null)[]>
  }
}

/** A script call: `numkeys`, the keys, then the arguments (strings or bytes). */
export type ScriptCall<R> = (...args: (string | Buffer)[]) => Promise<R>

/**
 * `EVALSHA` of `lua` (string replies as buffers, or decoded with `replyEncoding`); on `NOSCRIPT`
 * (a Redis that restarted or flushed its scripts) that call goes through `fallback`, ioredis's own
 * command for the script, which loads it. With a `keyPrefix` client, `fallback` always (ioredis
 * prefixes the script's keys).
 */
export function directScript<R>(
  client: Redis,
  lua: string,
  fallback: ScriptCall<R>,
  replyEncoding: BufferEncoding | null = null,
): ScriptCall<R> {
  if (client.options.keyPrefix) return fallback
  const sha = createHash('sha1').update(lua).digest('hex')
  const options = { replyEncoding }
  return (...args) => {
    let command: Command
    // Built empty then filled, as in `directMget`, unless an argument is bytes: the constructor
    // is what switches a command to writing its arguments as buffers.
    if (args.some((a) => typeof a !== 'string')) command = new Command('evalsha', [sha, ...args], options)
    else {
      command = new Command('evalsha', [], options)
      command.args = [sha, ...args]
    }
    client.sendCommand(command)
    return (command.promise as Promise<R>).catch((err: unknown) => {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return fallback(...args)
      throw err
    })
  }
}
