// The response-hold primitive on its own, with a real server: the states a response goes
// through, what is queued while held, late calls, nesting and a client that goes away.
import express, { type Response } from 'express'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type HeldCall, type HoldPolicy, type HoldState, ResponseHold } from '../../src/express/hold.js'
import { Gate } from './support/app.js'
import { HttpClient, type Served, serve } from './support/http-client.js'

/** Holds every response at its `end` (or at its first write with `holdWrites`) until `gate` opens. */
class Recorder implements HoldPolicy {
  readonly hold: ResponseHold
  readonly states: HoldState[] = []
  firsts: string[] = []
  completed: number | undefined
  goneCalled = false

  constructor(
    res: Response,
    private readonly decide: 'hold' | 'pass',
    private readonly gate: Gate | undefined,
  ) {
    this.hold = new ResponseHold(res, this, { head: false, watchClose: true })
    this.states.push(this.hold.state)
  }

  first(method: 'write' | 'end'): 'hold' | 'pass' {
    this.firsts.push(method)
    if (this.decide === 'hold' && this.gate)
      this.gate.wait().then(() => {
        this.hold.release(true)
        this.states.push(this.hold.state)
        this.hold.settle()
      })
    return this.decide
  }

  complete(calls: readonly HeldCall[]): void {
    this.completed = calls.length
    this.states.push(this.hold.state)
  }

  gone(): void {
    this.goneCalled = true
    this.states.push(this.hold.state)
  }

  error(): void {}
}

/** Waits, turn by turn of the event loop, until `ready()` holds. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await new Promise((r) => setImmediate(r))
}

describe('ResponseHold', () => {
  let served: Served
  let http: HttpClient
  let last: Recorder[] = []
  let gate = new Gate()
  let lateError: unknown
  let sentWhileHeld: boolean | undefined

  beforeAll(async () => {
    const app = express()
    app.get('/held', (_req, res) => {
      last = [new Recorder(res, 'hold', gate)]
      res.write('a')
      res.write('b')
      res.end('c')
      // After end: ignored, as Node ignores it; headers cannot change any more.
      res.write('late')
      try {
        res.setHeader('x-late', '1')
      } catch (err) {
        lateError = err
      }
      // Looks sent, and flushing the head puts nothing on the wire before the held answer.
      sentWhileHeld = res.headersSent
      res.flushHeaders()
    })
    app.get('/passed', (_req, res) => {
      last = [new Recorder(res, 'pass', undefined)]
      res.end('straight')
    })
    app.get('/nested', (_req, res) => {
      const outer = new Recorder(res, 'hold', gate)
      const inner = new Recorder(res, 'hold', gate)
      last = [outer, inner]
      res.end('nested')
    })
    app.get('/gone', (_req, res) => {
      last = [new Recorder(res, 'hold', gate)]
      // Never answers: the client gives up.
    })
    served = await serve(app)
    http = served.http
  })
  afterAll(async () => {
    served.server.closeAllConnections()
    await served.close()
  })

  it('goes open -> held -> released, sends what was queued once released, and ignores calls after end', async () => {
    gate = new Gate()
    last = []
    const pending = http.get('/held')
    await until(() => last[0]?.completed !== undefined)
    const [rec] = last as [Recorder]
    expect(rec.hold.state).toBe('held')
    expect(rec.firsts).toEqual(['write'])
    expect(rec.completed).toBe(3)
    expect((lateError as { code?: string }).code).toBe('ERR_HTTP_HEADERS_SENT')
    expect(sentWhileHeld).toBe(true)
    gate.release()
    const r = await pending
    expect(r.status).toBe(200)
    expect(r.body.toString()).toBe('abc')
    expect(r.header('x-late')).toBeUndefined()
    expect(rec.states).toEqual(['open', 'held', 'released'])
  })

  it('steps aside at once when the policy lets the first call pass', async () => {
    const r = await http.get('/passed')
    expect(r.body.toString()).toBe('straight')
    const [rec] = last as [Recorder]
    expect(rec.hold.state).toBe('released')
    expect(rec.firsts).toEqual(['end'])
  })

  it('nests: the inner hold releases into the outer one, which sends', async () => {
    gate = new Gate()
    last = []
    const pending = http.get('/nested')
    await until(() => last[1]?.completed !== undefined)
    const [outer, inner] = last as [Recorder, Recorder]
    expect(inner.hold.state).toBe('held')
    expect(outer.hold.state).toBe('open')
    gate.release()
    expect((await pending).body.toString()).toBe('nested')
    expect(inner.states).toEqual(['open', 'held', 'released'])
    expect(outer.states).toEqual(['open', 'held', 'released'])
  })

  it('is aborted when the client goes away before the handler wrote', async () => {
    gate = new Gate()
    last = []
    // A client of its own, which goes away (the shared one stays for the tests after this one).
    const leaving = new HttpClient(served.server)
    const pending = leaving.get('/gone').catch((err: unknown) => err)
    await until(() => last.length > 0)
    leaving.close()
    await pending
    const rec = last[0] as Recorder
    await until(() => rec.goneCalled)
    expect(rec.hold.state).toBe('aborted')
    expect(rec.states).toEqual(['open', 'aborted'])
  })
})
