import type { Redis } from 'ioredis'
import { envelopeHasTagNames, envelopeTagNameBytes } from '../envelope.js'
import { Lru } from '../lru.js'
import { CallBatch } from './call-batch.js'
import { directMget, directScript } from './direct-commands.js'
import { randomToken } from './random-token.js'
import { READ_MANY } from './redis-scripts.js'
import type { LeaseOutcome, LeaseRequest, ReadWithTags } from './store.js'

/** One read of a batch: the entry, its tags' key prefix, and the lease to take on a miss. */
interface BatchedRead {
  readonly key: string
  readonly tagPrefix: string
  readonly lease: LeaseRequest | undefined
}

type ReadResult = ReadWithTags | LeaseOutcome | undefined

/** The tags an entry had when it was last read, to fetch their versions beside it with a plain MGET. */
interface TagMemo {
  readonly tagPrefix: string
  /** Tag names as bytes (copies), to check the entry still carries exactly these. */
  readonly names: readonly Buffer[]
  readonly tagKeys: readonly string[]
}

/** The batch script as ioredis defines it on the client (see `READ_MANY`). */
export type ReadManyScript = (...args: (string | number | Buffer)[]) => Promise<unknown[]>

/** Reads sent in one command at most; a bigger batch goes in several. */
const READ_BATCH_MAX = 256
/** Entries whose tag names are remembered (most recently read first). */
const TAG_MEMO_ENTRIES = 10_000
const NO_VERSIONS: readonly string[] = Object.freeze([])

/** One read's reply from the batch script as the store interface has it. */
function scriptReply(out: unknown): ReadResult | Error {
  if (out === null || out === undefined) return undefined
  if (Buffer.isBuffer(out)) return { bytes: out, versions: NO_VERSIONS }
  if (typeof out === 'number') return { leased: out === 1 }
  if (out instanceof Error) return out
  const parts = out as Buffer[]
  // A miss that stamped: the lease outcome first, then the versions stamped.
  if (typeof parts[0] === 'number') {
    const versions: string[] = new Array(parts.length - 1)
    for (let i = 1; i < parts.length; i++) versions[i - 1] = (parts[i] as Buffer).toString('latin1')
    return { leased: (parts[0] as number) === 1, versions }
  }
  const bytes = parts[0]
  if (!bytes) return undefined
  const versions: string[] = new Array(parts.length - 1)
  for (let i = 1; i < parts.length; i++) versions[i - 1] = (parts[i] as Buffer).toString('latin1')
  return { bytes, versions }
}

/**
 * The single-node store's reads: every read of one I/O phase goes out together, whatever the
 * client's options. A read of an entry read before goes in one `MGET` with the versions of the
 * tags it had then (a plain command: a tenth of what the script costs Redis), checked against the
 * tags it carries now; the others (first reads, reads that take a lease on a miss, entries whose
 * tags changed) go in one call of the batch script, which finds the tag names in the entry itself.
 * Both are atomic on one node, so an entry and its tags' versions are always read together.
 */
export function batchedReads(
  client: Redis,
  readMany: ReadManyScript,
  px: (ms: number) => number,
  /** When to send a batch: at the end of the event loop's I/O phase (see `writesPerPhase`). */
  schedule: (flush: () => void) => void,
  /** The expiry of a version stamped on a miss, in ms as the scripts take it (`0`: none). */
  tagPx: string,
): (key: string, tagPrefix: string, lease?: LeaseRequest) => Promise<ReadResult> {
  const memo = new Lru<TagMemo>(TAG_MEMO_ENTRIES)
  const mget = directMget(client)
  const script = directScript(client, READ_MANY, readMany)

  const remember = (r: BatchedRead, bytes: Buffer) => {
    const names = envelopeTagNameBytes(bytes)
    if (!names) return
    const copies = names.map((n) => Buffer.from(n))
    const tagKeys = copies.map((n) => r.tagPrefix + n.toString('utf8'))
    memo.set(r.key, { tagPrefix: r.tagPrefix, names: copies, tagKeys }, Number.POSITIVE_INFINITY)
  }

  type Out = (ReadResult | Error)[]

  /** Reads `which` of `batch` by script into `out`. */
  const viaScript = (batch: readonly BatchedRead[], which: readonly number[], out: Out): Promise<Out> => {
    const keys: string[] = []
    const args: string[] = []
    // One token per call, as for a stamp (a version is only compared with itself).
    let rand: string | undefined
    for (const i of which) {
      const r = batch[i] as BatchedRead
      keys.push(r.key)
      const lease = r.lease
      if (lease) {
        keys.push(lease.key)
        args.push(r.tagPrefix, '1', lease.token, String(px(lease.ttlMs)))
      } else args.push(r.tagPrefix, '0', '', '0')
      const stamp = lease?.stamp
      if (stamp && stamp.tags.length > 0) {
        keys.push(stamp.clockKey)
        rand ??= randomToken()
        args.push(String(stamp.tags.length), rand, tagPx, ...stamp.tags)
      } else args.push('0')
    }
    return script(String(keys.length), ...keys, ...args).then((replies) => {
      for (let j = 0; j < which.length; j++) {
        const i = which[j] as number
        const result = scriptReply(replies[j])
        out[i] = result
        if (result && 'bytes' in result) remember(batch[i] as BatchedRead, result.bytes as Buffer)
      }
      return out
    })
  }

  /**
   * Reads `which` of `batch` with one `MGET` into `out`; the reads whose entry no longer carries
   * the remembered tags go again by script.
   */
  const viaMget = (
    batch: readonly BatchedRead[],
    which: readonly number[],
    memos: readonly TagMemo[],
    out: Out,
  ): Promise<Out> => {
    const keys: string[] = []
    for (let j = 0; j < which.length; j++) {
      keys.push((batch[which[j] as number] as BatchedRead).key)
      for (const k of (memos[j] as TagMemo).tagKeys) keys.push(k)
    }
    return mget(keys).then((replies) => {
      let stale: number[] | undefined
      let at = 0
      for (let j = 0; j < which.length; j++) {
        const i = which[j] as number
        const m = memos[j] as TagMemo
        const bytes = replies[at]
        if (!bytes) out[i] = undefined
        else if (!envelopeHasTagNames(bytes, m.names)) {
          stale ??= []
          stale.push(i)
        } else if (m.names.length === 0) out[i] = { bytes, versions: NO_VERSIONS }
        else {
          const versions: string[] = new Array(m.names.length)
          for (let t = 0; t < m.names.length; t++) versions[t] = replies[at + 1 + t]?.toString('latin1') ?? ''
          out[i] = { bytes, versions }
        }
        at += 1 + m.names.length
      }
      return stale ? viaScript(batch, stale, out) : out
    })
  }

  const reads = new CallBatch<BatchedRead, ReadResult>(
    (batch) => {
      const out: Out = new Array(batch.length)
      const scripted: number[] = []
      const plain: number[] = []
      const memos: TagMemo[] = []
      for (let i = 0; i < batch.length; i++) {
        const r = batch[i] as BatchedRead
        // Remembered without an expiry: no clock needed.
        const m = r.lease ? undefined : memo.get(r.key, 0)
        if (m && m.tagPrefix === r.tagPrefix) {
          plain.push(i)
          memos.push(m)
        } else scripted.push(i)
      }
      if (scripted.length === 0) return viaMget(batch, plain, memos, out)
      if (plain.length === 0) return viaScript(batch, scripted, out)
      return Promise.all([viaScript(batch, scripted, out), viaMget(batch, plain, memos, out)]).then(() => out)
    },
    READ_BATCH_MAX,
    schedule,
  )

  return (key, tagPrefix, lease) => reads.add({ key, tagPrefix, lease })
}
