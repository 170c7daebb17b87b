import type { Request, Response } from 'express'
import { z } from 'zod'
import type { NamedSchema, RouteSpec } from '../api/route-spec.js'
import type { AppDeps } from '../runtime-types.js'

async function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  p.catch(() => undefined) // a rejection after the timeout won must not go unhandled
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}

const healthBody: NamedSchema = { name: 'Health', schema: z.object({ status: z.literal('ok') }) }
const state = z.enum(['up', 'down'])
const readyBody: NamedSchema = {
  name: 'Readiness',
  schema: z.looseObject({ status: z.string(), database: state.optional(), cache: state.optional() }),
}

/**
 * `/health` (the process lives) and `/ready` (the database answers; the cache's state is reported;
 * `503 draining` once shutdown began).
 */
export class OperationsController {
  constructor(private readonly deps: AppDeps) {}

  health(_req: Request, res: Response): void {
    res.json({ status: 'ok' })
  }

  async ready(req: Request, res: Response): Promise<void> {
    // A draining instance must leave the load balancer's rotation before it closes.
    if (req.app.locals.draining === true) {
      res.status(503).json({ status: 'draining' })
      return
    }
    const [database, cache] = await Promise.all([
      withTimeout(this.deps.db.raw('select 1'), 2000).then(
        () => 'up' as const,
        () => 'down' as const,
      ),
      withTimeout(this.deps.cache.getEntry('ready-probe', { failOpen: false }), 1000).then(
        () => 'up' as const,
        () => 'down' as const,
      ),
    ])
    // A cache outage degrades speed, not correctness: only the database decides readiness.
    res
      .status(database === 'up' ? 200 : 503)
      .json({ status: database === 'up' ? 'ready' : 'unready', database, cache })
  }
}

/** The operational routes (no auth). `/metrics`, `/api/docs` and `/docs` handlers are built by the app. */
export function operationRoutes(
  c: OperationsController,
  extra: { metrics: RouteSpec['handler']; openapi: RouteSpec['handler']; docs: RouteSpec['handler'] },
): RouteSpec[] {
  const tag = 'operations'
  const route = (
    path: string,
    operationId: string,
    summary: string,
    handler: RouteSpec['handler'],
    responses: Record<number, string>,
    body: Pick<RouteSpec, 'returns' | 'mediaType' | 'sameBodyOn'>,
  ): RouteSpec => ({
    method: 'get',
    path,
    operationId,
    summary,
    tag,
    auth: 'none',
    responses,
    handler,
    ...body,
  })
  return [
    route(
      '/health',
      'health',
      'Liveness: 200 while the process runs',
      (req, res) => c.health(req, res),
      { 200: 'Alive' },
      { returns: healthBody },
    ),
    route(
      '/ready',
      'ready',
      'Readiness: 200 when the database answers (cache state reported)',
      (req, res) => c.ready(req, res),
      {
        200: 'Ready',
        503: 'The database does not answer, or the service is draining (shutting down)',
      },
      { returns: readyBody, sameBodyOn: [503] },
    ),
    route(
      '/metrics',
      'metrics',
      'Prometheus metrics',
      extra.metrics,
      { 200: 'Prometheus text format' },
      { mediaType: 'text/plain' },
    ),
    route('/api/docs', 'openapi', 'This OpenAPI 3.1 document', extra.openapi, { 200: 'The document' }, {}),
    route(
      '/docs',
      'docs',
      'A browsable page of the OpenAPI document',
      extra.docs,
      { 200: 'HTML' },
      { mediaType: 'text/html' },
    ),
  ]
}
