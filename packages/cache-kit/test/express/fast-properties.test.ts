// A held response must come out of its hold with the same kind of object it went in with: V8 keeps
// an object's properties fast until a property is deleted or redefined, and Node's HTTP code then
// works on a slow dictionary-mode response (every miss and write paid for it).
// V8's `%HasFastProperties` needs --allow-natives-syntax, so the check runs in a child process.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const child = fileURLToPath(new URL('./support/fast-properties-child.ts', import.meta.url))

describe('ResponseHold and V8 fast properties', () => {
  it('leaves an Express response the hold held (a miss, a write) and its socket with fast properties', () => {
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', child], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { request: string; response: boolean; socket: boolean })
    expect(lines.map((l) => l.request)).toEqual([
      'GET /items/1 MISS',
      'GET /items/1 HIT',
      'POST /items',
      'GET /items/2 MISS',
    ])
    for (const l of lines) expect(l, l.request).toMatchObject({ response: true, socket: true })
  })
})
