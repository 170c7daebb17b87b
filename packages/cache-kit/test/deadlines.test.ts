import { describe, expect, it } from 'vitest'
import { Deadlines } from '../src/deadlines.js'

// Long enough that timer jitter on a loaded machine (under half of it) is not taken for a pause.
const MS = 100
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const refTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length

/** Starts a call on `d`; resolves how long after its start it expired (never, if finished first). */
function call(d: Deadlines) {
  const t0 = performance.now()
  let expiredAfter: number | undefined
  const w = d.start(() => {
    expiredAfter = performance.now() - t0
  })
  return { finish: () => d.finish(w), expiredAfter: () => expiredAfter }
}

describe('Deadlines', () => {
  it('expires only the calls still unfinished at their deadline, whatever order the others finish in', async () => {
    const d = new Deadlines(MS)
    const calls = Array.from({ length: 6 }, () => call(d))
    await sleep(MS / 3)
    const late = call(d)
    // Out of order: the newest and the oldest first; call 2 never finishes.
    for (const i of [5, 0, 3, 1, 4]) calls[i]?.finish()
    await sleep(3 * MS)
    const expired = calls.map((c) => c.expiredAfter() !== undefined)
    expect(expired).toEqual([false, false, true, false, false, false])
    expect(calls[2]?.expiredAfter()).toBeGreaterThanOrEqual(MS - 1)
    // Started later, so not due yet when call 2 expired.
    expect(late.expiredAfter()).toBeGreaterThanOrEqual(MS - 1)
    late.finish()
  })

  it('a finished call never expires, and a call finished after expiring changes nothing', async () => {
    const d = new Deadlines(MS)
    const a = call(d)
    a.finish()
    const b = call(d)
    await sleep(MS * 3)
    expect(a.expiredAfter()).toBeUndefined()
    expect(b.expiredAfter()).toBeGreaterThanOrEqual(MS - 1)
    b.finish()
    const c = call(d)
    await sleep(MS * 3)
    expect(c.expiredAfter()).toBeGreaterThanOrEqual(MS - 1)
  })

  it('a pause of this process gives due calls the duration again, once', async () => {
    const d = new Deadlines(MS)
    const a = call(d)
    const b = call(d)
    const end = performance.now() + 3 * MS
    while (performance.now() < end);
    await sleep(MS / 4)
    // The timer fired 2 × MS late: a pause, not a slow store.
    expect([a.expiredAfter(), b.expiredAfter()]).toEqual([undefined, undefined])
    a.finish()
    await sleep(MS * 2)
    expect(a.expiredAfter()).toBeUndefined()
    expect(b.expiredAfter()).toBeGreaterThanOrEqual(4 * MS - 1)
  })

  it('holds the process open only while a call waits', async () => {
    // Timers of the tests before this one are gone by then.
    await sleep(MS * 3)
    const before = refTimers()
    const d = new Deadlines(MS)
    const a = call(d)
    expect(refTimers()).toBe(before + 1)
    a.finish()
    expect(refTimers()).toBe(before)
    const b = call(d)
    expect(refTimers()).toBe(before + 1)
    b.finish()
    await sleep(MS * 2)
    expect(refTimers()).toBe(before)
    expect(b.expiredAfter()).toBeUndefined()
  })
})
