/** Escapes Redis glob metacharacters (`* ? [ ] \`) so the text matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/** A compiled Redis glob: `test(key)` answers what Redis's `SCAN … MATCH` / `KEYS` answer for that key. */
export interface GlobMatcher {
  test(key: string): boolean
}

/**
 * Compiles a Redis glob (`*`, `?`, `[abc]`, `[^a-z]`, `\x`) into a matcher that follows Redis's own
 * `stringmatchlen` (src/util.c) on the key's UTF-8 bytes, so a memory or Keyv store deletes exactly the
 * keys a Redis store's SCAN MATCH finds. Every string is a pattern and none throws: a reversed range
 * `[z-a]` is `[a-z]`, `[]` matches nothing, an unclosed `[abc` runs to the end of the pattern, a
 * trailing `\` is a literal backslash, as in Redis.
 */
export function compileGlob(glob: string): GlobMatcher {
  // SCAN and KEYS take a lone `*` as "every key" (the empty key included) without matching.
  if (glob === '*') return { test: () => true }
  const pattern = toBytes(glob)
  return {
    test: (key) => {
      const state = { skipLongerMatches: false }
      return matchAt(pattern, 0, toBytes(key), 0, state, 0)
    },
  }
}

const STAR = 0x2a
const QUESTION = 0x3f
const OPEN = 0x5b
const CLOSE = 0x5d
const CARET = 0x5e
const DASH = 0x2d
const BACKSLASH = 0x5c
/** Redis stops a pattern with more nested `*` than this (CVE-2024-31228): no match. */
const MAX_NESTING = 1000

/** The string as one code unit per UTF-8 byte: Redis compares bytes, and ASCII needs no copy. */
function toBytes(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: the ASCII range test is the point
  if (/^[\x00-\x7f]*$/.test(text)) return text
  let out = ''
  for (const byte of new TextEncoder().encode(text)) out += String.fromCharCode(byte)
  return out
}

/**
 * A byte as C's `char`, which is signed on the x86-64 builds Redis mostly runs on: a class range across
 * 0x80 (`[a-é]`) compares that way there (an ARM build, with unsigned `char`, reads it otherwise).
 */
function signed(byte: number): number {
  return byte > 0x7f ? byte - 0x100 : byte
}

/** A line-by-line port of Redis's `stringmatchlen_impl` (case-sensitive) over byte strings. */
function matchAt(
  p: string,
  pi: number,
  s: string,
  si: number,
  state: { skipLongerMatches: boolean },
  nesting: number,
): boolean {
  if (nesting > MAX_NESTING) return false
  const pl = p.length
  const sl = s.length
  while (pi < pl && si < sl) {
    const c = p.charCodeAt(pi)
    if (c === STAR) {
      while (pi + 1 < pl && p.charCodeAt(pi + 1) === STAR) pi++
      if (pi === pl - 1) return true
      while (si < sl) {
        if (matchAt(p, pi + 1, s, si, state, nesting + 1)) return true
        if (state.skipLongerMatches) return false
        si++
      }
      // Nothing after this `*` matches anywhere in the rest: no earlier `*` can help either.
      state.skipLongerMatches = true
      return false
    }
    if (c === QUESTION) {
      si++
    } else if (c === OPEN) {
      pi++
      const not = pi < pl && p.charCodeAt(pi) === CARET
      if (not) pi++
      const sc = s.charCodeAt(si)
      let matched = false
      for (;;) {
        if (pl - pi >= 2 && p.charCodeAt(pi) === BACKSLASH) {
          pi++
          if (p.charCodeAt(pi) === sc) matched = true
        } else if (pi === pl) {
          // Unclosed: the class ran to the end of the pattern.
          pi--
          break
        } else if (p.charCodeAt(pi) === CLOSE) {
          break
        } else if (pl - pi >= 3 && p.charCodeAt(pi + 1) === DASH) {
          let start = signed(p.charCodeAt(pi))
          let end = signed(p.charCodeAt(pi + 2))
          if (start > end) [start, end] = [end, start]
          const x = signed(sc)
          if (x >= start && x <= end) matched = true
          pi += 2
        } else if (p.charCodeAt(pi) === sc) {
          matched = true
        }
        pi++
      }
      if (not) matched = !matched
      if (!matched) return false
      si++
    } else {
      if (c === BACKSLASH && pl - pi >= 2) pi++
      if (p.charCodeAt(pi) !== s.charCodeAt(si)) return false
      si++
    }
    pi++
    if (si === sl) {
      while (pi < pl && p.charCodeAt(pi) === STAR) pi++
      break
    }
  }
  return pi === pl && si === sl
}
