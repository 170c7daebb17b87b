import { describe, expect, it } from 'vitest'
import { randomToken } from '../src/stores/random-token.js'

describe('randomToken', () => {
  it('gives 16-character base64url tokens, all different, across refills of its pool', () => {
    const tokens = Array.from({ length: 1000 }, () => randomToken())
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{16}$/)
    expect(new Set(tokens).size).toBe(tokens.length)
  })
})
