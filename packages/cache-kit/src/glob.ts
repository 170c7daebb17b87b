/** Escapes Redis glob metacharacters (`* ? [ ] \`) so the text matches only itself. */
export function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, '\\$&')
}

/** Compiles a Redis-style glob (`*`, `?`, `[abc]`, `[^a-z]`, `\x`) to an anchored RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '^'
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    if (c === '*') re += '[\\s\\S]*'
    else if (c === '?') re += '[\\s\\S]'
    else if (c === '\\' && i + 1 < glob.length) re += escapeRe(glob[++i] as string)
    else if (c === '[') {
      const close = findClose(glob, i + 1)
      if (close < 0) re += '\\['
      else {
        let body = glob.slice(i + 1, close)
        let neg = false
        if (body.startsWith('^')) {
          neg = true
          body = body.slice(1)
        }
        let cls = ''
        for (let j = 0; j < body.length; j++) {
          const b = body[j] as string
          if (b === '\\' && j + 1 < body.length) cls += escapeRe(body[++j] as string)
          else if (b === '-' && cls && j + 1 < body.length) cls += '-'
          else cls += escapeRe(b)
        }
        re += `[${neg ? '^' : ''}${cls}]`
        i = close
      }
    } else re += escapeRe(c)
  }
  return new RegExp(`${re}$`)
}

function findClose(glob: string, from: number): number {
  for (let i = from; i < glob.length; i++) {
    if (glob[i] === '\\') i++
    else if (glob[i] === ']' && i > from) return i
  }
  return -1
}

function escapeRe(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')
}
