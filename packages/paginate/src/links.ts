/** Builds a page link: `baseUrl` (absolute or a path; `''` gives `?…`) with the kept query plus `set`. */
export function pageUrl(
  baseUrl: string,
  query: Readonly<Record<string, string | readonly string[]>>,
  set: Readonly<Record<string, string>>,
): string {
  const [path = '', existing] = baseUrl.split('?', 2)
  const search = new URLSearchParams(existing)
  for (const [key, value] of Object.entries(query)) {
    if (typeof value === 'string') search.append(key, value)
    else for (const v of value) search.append(key, v)
  }
  for (const [key, value] of Object.entries(set)) search.set(key, value)
  return `${path}?${search.toString()}`
}

/** An RFC 8288 `Link` header value with `next` and `prev` (empty string when there is neither). */
export function linkHeader(next: string | null, previous: string | null): string {
  const parts: string[] = []
  if (next) parts.push(`<${next}>; rel="next"`)
  if (previous) parts.push(`<${previous}>; rel="prev"`)
  return parts.join(', ')
}
