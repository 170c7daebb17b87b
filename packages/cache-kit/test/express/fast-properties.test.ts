// A held response must come out of its hold with the same kind of object it went in with: V8 keeps
// an object's properties fast until a property is redefined as an accessor or deleted out of
// order, and Node's HTTP code then works on a slow dictionary-mode response (a miss paid for it).
// V8's `%HasFastProperties` needs --allow-natives-syntax, so the check runs in a child process.
import { execFileSync } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const child = fileURLToPath(new URL('./support/fast-properties-child.ts', import.meta.url))

describe('ResponseHold and V8 fast properties', () => {
  it('leaves a held, then released response (and its socket) with fast properties', () => {
    const out = execFileSync(process.execPath, ['--allow-natives-syntax', '--import', 'tsx', child], {
      encoding: 'utf8',
      timeout: 30_000,
    })
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { url: string; response: boolean; socket: boolean | null })
    expect(lines.map((l) => l.url)).toEqual(['/plain', '/head', '/plain', '/head'])
    for (const l of lines) expect(l, l.url).toMatchObject({ response: true, socket: true })
  })
})
