/** Where a call stands: before its deadline, given more time once after a pause, or finished. */
type WaitState = 'waiting' | 'extended' | 'done'

/** One call's place in a {@link Deadlines} queue. */
export interface Waiting {
  due: number
  state: WaitState
  readonly expire: () => void
}

/** Compact the queue's array once this many finished calls sit before its head. */
const COMPACT_AFTER = 256

/**
 * The deadlines of in-flight calls that share one duration, behind one timer. Calls start in order,
 * so their deadlines come in order too; a call that finishes only marks itself, and finished calls
 * leave from the front as new ones start. (A Node timer per call costs, whenever one call at a time
 * is in flight, a timer list and a priority-queue insert and removal per call.)
 *
 * A call's `expire` runs after the event loop's next I/O poll once its deadline passed, so a reply
 * that arrived meanwhile is read first. A pause of this process (a synchronous module load at
 * start, a long GC) is not a slow store: when the timer fires late by more than half the duration,
 * the calls it finds due get the duration again (once), since their commands may have been sent
 * only after the pause. The timer holds the process open only while some call waits.
 */
export class Deadlines {
  private queue: Waiting[] = []
  private head = 0
  private live = 0
  private timer: NodeJS.Timeout | undefined
  private timerDue = 0

  constructor(private readonly ms: number) {}

  /** Starts a call's clock; `expire` runs if it has not finished by its deadline. */
  start(expire: () => void): Waiting {
    const w: Waiting = { due: performance.now() + this.ms, state: 'waiting', expire }
    this.dropFinished()
    this.queue.push(w)
    if (this.live++ === 0) {
      if (this.timer) this.timer.ref()
      else this.arm(this.ms)
    }
    return w
  }

  /** The call finished (its `expire` will not run). */
  finish(w: Waiting): void {
    if (w.state === 'done') return
    w.state = 'done'
    if (--this.live === 0) this.timer?.unref()
  }

  private arm(delay: number): void {
    this.timerDue = performance.now() + delay
    this.timer = setTimeout(this.fire, delay)
    if (this.live === 0) this.timer.unref()
  }

  private dropFinished(): void {
    const q = this.queue
    while (this.head < q.length && (q[this.head] as Waiting).state === 'done') this.head++
    if (this.head === q.length) {
      q.length = 0
      this.head = 0
    } else if (this.head >= COMPACT_AFTER && this.head * 2 >= q.length) {
      q.splice(0, this.head)
      this.head = 0
    }
  }

  private readonly fire = (): void => {
    this.timer = undefined
    const now = performance.now()
    const paused = now - this.timerDue > this.ms / 2
    const due: Waiting[] = []
    const again: Waiting[] = []
    this.dropFinished()
    const q = this.queue
    // Within a millisecond of its deadline: a Node timer may fire that much before it.
    while (this.head < q.length && (q[this.head] as Waiting).due <= now + 1) {
      const w = q[this.head++] as Waiting
      if (w.state === 'done') continue
      if (paused && w.state === 'waiting') {
        w.state = 'extended'
        w.due = now + this.ms
        again.push(w)
      } else due.push(w)
    }
    // Extended deadlines are the latest of all: appended, the queue stays in deadline order.
    for (const w of again) q.push(w)
    this.dropFinished()
    if (this.head < q.length) this.arm(Math.max(1, (q[this.head] as Waiting).due - now))
    if (due.length)
      setImmediate(() => {
        for (const w of due) {
          if (w.state === 'done') continue
          this.finish(w)
          w.expire()
        }
      })
  }
}
