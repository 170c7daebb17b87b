/** Where the bar draws: a TTY redraws one line, anything else gets a line per tenth. */
export interface BarOutput {
  write(text: string): unknown
  readonly isTTY?: boolean
}

const WIDTH = 30

/** A text progress bar with rate and elapsed time, redrawn at most every 100 ms. */
export class ProgressBar {
  private readonly started = performance.now()
  private lastDraw = 0
  private lastTenth = -1

  constructor(
    private readonly out: BarOutput,
    private readonly label: string,
  ) {}

  /** Redraws for `done` of `total` (with an optional note, e.g. the table being written). */
  update(done: number, total: number, note = ''): void {
    const now = performance.now()
    const ratio = total > 0 ? Math.min(1, done / total) : 1
    const tenth = Math.floor(ratio * 10)
    if (this.out.isTTY) {
      if (now - this.lastDraw < 100 && done < total) return
      this.lastDraw = now
      this.out.write(`\r${this.line(done, total, ratio, now)} ${note.padEnd(16)}`)
    } else if (tenth > this.lastTenth) {
      this.lastTenth = tenth
      this.out.write(`${this.line(done, total, ratio, now)} ${note}\n`)
    }
  }

  /** Draws the final state and ends the line. */
  finish(done: number): void {
    this.lastDraw = 0
    this.lastTenth = 9
    this.update(done, done, 'done')
    if (this.out.isTTY) this.out.write('\n')
  }

  private line(done: number, total: number, ratio: number, now: number): string {
    const filled = Math.round(ratio * WIDTH)
    const seconds = (now - this.started) / 1000
    const rate = seconds > 0 ? Math.round(done / seconds) : 0
    const pct = `${Math.floor(ratio * 100)}%`.padStart(4)
    return `${this.label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${pct} ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows ${seconds.toFixed(1)} s ${rate.toLocaleString('en-US')} rows/s`
  }
}
