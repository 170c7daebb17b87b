import type { OpenApiDocument } from './openapi.js'

function esc(s: unknown): string {
  return String(s).replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] ?? c,
  )
}

type Op = Record<string, unknown>

function renderParameters(op: Op): string {
  const params = (op.parameters as Op[] | undefined) ?? []
  if (params.length === 0) return ''
  const rows = params
    .map(
      (p) =>
        `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td><code>${esc(
          JSON.stringify(p.schema ?? {}),
        )}</code></td><td>${esc(p.description ?? '')}</td></tr>`,
    )
    .join('')
  return `<table><thead><tr><th>parameter</th><th>in</th><th>schema</th><th></th></tr></thead><tbody>${rows}</tbody></table>`
}

function renderBody(op: Op): string {
  const body = op.requestBody as { content?: Record<string, { schema?: unknown }> } | undefined
  const schema = body?.content?.['application/json']?.schema
  return schema === undefined ? '' : `<h4>Body</h4><pre>${esc(JSON.stringify(schema, null, 2))}</pre>`
}

function renderResponses(op: Op): string {
  const responses = (op.responses as Record<string, { description?: string }> | undefined) ?? {}
  return `<ul class="responses">${Object.entries(responses)
    .map(([s, r]) => `<li><b class="s${esc(s[0])}">${esc(s)}</b> ${esc(r.description ?? '')}</li>`)
    .join('')}</ul>`
}

/**
 * A browsable HTML rendering of the OpenAPI document: self-contained (inline CSS, no script, no
 * CDN), so it works offline and under a strict Content-Security-Policy.
 */
export function renderDocsPage(doc: OpenApiDocument): string {
  const info = doc.info as { title?: string; description?: string; version?: string } | undefined
  const byTag = new Map<string, string[]>()
  for (const [path, methods] of Object.entries(doc.paths)) {
    for (const [method, raw] of Object.entries(methods)) {
      const op = raw as Op
      const tag = ((op.tags as string[] | undefined) ?? ['other'])[0] ?? 'other'
      const html = `<details id="${esc(op.operationId)}"><summary><span class="m ${esc(method)}">${esc(
        method.toUpperCase(),
      )}</span> <code>${esc(path)}</code> — ${esc(op.summary ?? '')}</summary>${
        op.description ? `<p>${esc(op.description)}</p>` : ''
      }${renderParameters(op)}${renderBody(op)}<h4>Responses</h4>${renderResponses(op)}</details>`
      byTag.set(tag, [...(byTag.get(tag) ?? []), html])
    }
  }
  const sections = [...byTag]
    .map(([tag, ops]) => `<section><h2 id="tag-${esc(tag)}">${esc(tag)}</h2>${ops.join('')}</section>`)
    .join('')
  const nav = [...byTag.keys()].map((t) => `<a href="#tag-${esc(t)}">${esc(t)}</a>`).join(' · ')
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(info?.title ?? 'API')}</title>
<meta name="viewport" content="width=device-width,initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1d2330}
h1{margin-bottom:.2rem}nav{margin:1rem 0}details{border:1px solid #d8dde6;border-radius:6px;margin:.4rem 0;padding:.4rem .7rem}
summary{cursor:pointer}.m{display:inline-block;min-width:4.2em;font-weight:700;font-size:.8em;text-align:center;border-radius:4px;color:#fff;padding:1px 4px}
.get{background:#2f7d32}.post{background:#1565c0}.patch{background:#b26a00}.delete{background:#b71c1c}
table{border-collapse:collapse;width:100%;font-size:.9em}td,th{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
pre{background:#f6f8fa;padding:.6rem;overflow:auto;font-size:.85em}.s2{color:#2f7d32}.s3{color:#555}.s4{color:#b26a00}.s5{color:#b71c1c}
</style></head><body><h1>${esc(info?.title ?? 'API')} <small>${esc(info?.version ?? '')}</small></h1>
<p>${esc(info?.description ?? '')}</p><p>Machine-readable: <a href="/api/docs">/api/docs</a> (OpenAPI ${esc(
    doc.openapi,
  )})</p><nav>${nav}</nav>${sections}</body></html>`
}
