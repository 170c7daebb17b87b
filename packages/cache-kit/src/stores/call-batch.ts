/** Sends a batch; answers one reply per item, in order, an `Error` for an item that failed alone. */
export type BatchSend<I, O> = (items: readonly I[]) => Promise<readonly (O | Error)[]>

interface Waiter<O> {
  resolve(value: O): void
  reject(error: unknown): void
}

/**
 * Collects calls until `schedule` runs the flush and sends them as one batch, so N concurrent
 * callers cost one command and one socket write instead of N, whatever the client's options (the
 * Redis store flushes at the end of the event loop's I/O phase, so every request that phase woke
 * joins). A batch holds at most `max` items (more go in several). An item's own error rejects only
 * that item; a failed send rejects the whole batch.
 */
export class CallBatch<I, O> {
  private items: I[] = []
  private waiters: Waiter<O>[] = []
  private scheduled = false

  constructor(
    private readonly send: BatchSend<I, O>,
    private readonly max: number,
    private readonly schedule: (flush: () => void) => void,
  ) {}

  /** Queues `item` for the next batch; resolves with its reply. */
  add(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.items.push(item)
      this.waiters.push({ resolve, reject })
      if (!this.scheduled) {
        this.scheduled = true
        this.schedule(this.flush)
      }
    })
  }

  private readonly flush = (): void => {
    this.scheduled = false
    const items = this.items
    const waiters = this.waiters
    this.items = []
    this.waiters = []
    if (items.length <= this.max) this.dispatch(items, waiters)
    else
      for (let i = 0; i < items.length; i += this.max)
        this.dispatch(items.slice(i, i + this.max), waiters.slice(i, i + this.max))
  }

  private dispatch(items: readonly I[], waiters: readonly Waiter<O>[]): void {
    let sent: Promise<readonly (O | Error)[]>
    try {
      sent = this.send(items)
    } catch (err) {
      for (const w of waiters) w.reject(err)
      return
    }
    sent.then(
      (replies) => {
        for (let i = 0; i < waiters.length; i++) {
          const w = waiters[i] as Waiter<O>
          const r = replies[i]
          if (r instanceof Error) w.reject(r)
          else if (i >= replies.length) w.reject(new Error('batch reply is missing an item'))
          else w.resolve(r as O)
        }
      },
      (err: unknown) => {
        for (const w of waiters) w.reject(err)
      },
    )
  }
}
