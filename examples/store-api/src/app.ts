import cors from 'cors'
import express, { type Express, type RequestHandler } from 'express'
import helmet from 'helmet'
import { Registry } from 'prom-client'
import { renderDocsPage } from './api/docs-page.js'
import type { ListContext } from './api/list-response.js'
import { buildOpenApi } from './api/openapi.js'
import type { RouteSpec } from './api/route-spec.js'
import { AdminController, adminRoutes } from './controllers/admin.js'
import { categoriesResource } from './controllers/categories.js'
import { CrudController, type CrudResource, crudRoutes } from './controllers/crud-controller.js'
import { invoiceRoutes } from './controllers/invoice-routes.js'
import { invoicesController } from './controllers/invoices.js'
import { productRoutes, productsController } from './controllers/products.js'
import { shopsResource } from './controllers/shops.js'
import { stockMovementRoutes, stockMovementsController } from './controllers/stock-movements.js'
import { stockRoutes, stocksController } from './controllers/stocks.js'
import { suppliersResource } from './controllers/suppliers.js'
import { warehousesResource } from './controllers/warehouses.js'
import { adminAuth, apiKeyAuth } from './http/api-keys.js'
import { errorHandler, routeNotFound } from './http/error-handler.js'
import { idempotency } from './http/idempotency.js'
import { jsonBody } from './http/json-body.js'
import { perKeyRateLimit, type RateLimitOptions } from './http/rate-limit.js'
import { requestId } from './http/request-id.js'
import { requestLog } from './http/request-log.js'
import { createMetrics } from './ops/metrics.js'
import { OperationsController, operationRoutes } from './ops/operations.js'
import type { AppDeps } from './runtime-types.js'

/** Options of {@link createApp} besides its dependencies. */
export interface AppOptions {
  /** Origin used in `next`/`previous` links (`http://localhost:3000`); default: relative links. */
  readonly publicUrl?: string
  /** Per-API-key rate limit (`RATE_LIMIT`); default: none. */
  readonly rateLimit?: RateLimitOptions
  /** Origins CORS allows (`CORS_ORIGINS`); default: none, and no CORS headers at all. */
  readonly corsOrigins?: readonly string[]
}

/** Response headers a browser client on an allowed origin may read. */
const EXPOSED_HEADERS = [
  'X-Request-Id',
  'X-Cache',
  'ETag',
  'Link',
  'Retry-After',
  'RateLimit',
  'RateLimit-Policy',
  'Idempotent-Replayed',
]

function crud<F>(def: CrudResource<F>, deps: AppDeps, ctx: ListContext): RouteSpec[] {
  return crudRoutes(def, new CrudController(def, deps, ctx))
}

/**
 * The route table: every route the server answers. The router is built from it and `/api/docs`
 * is generated from it, so the two cannot disagree.
 */
export function buildRoutes(
  deps: AppDeps,
  options: AppOptions,
  ops: { metrics: RequestHandler; openapi: RequestHandler; docs: RequestHandler },
): RouteSpec[] {
  const ctx: ListContext = {
    cache: deps.cache,
    cursorSecret: deps.cursorSecret,
    publicUrl: options.publicUrl,
  }
  return [
    ...operationRoutes(new OperationsController(deps), ops),
    ...adminRoutes(new AdminController(deps)),
    ...crud(shopsResource, deps, ctx),
    ...crud(categoriesResource, deps, ctx),
    ...crud(suppliersResource, deps, ctx),
    ...crud(warehousesResource, deps, ctx),
    ...productRoutes(productsController(deps, ctx)),
    ...stockRoutes(stocksController(deps, ctx)),
    ...stockMovementRoutes(stockMovementsController(deps, ctx)),
    ...invoiceRoutes(invoicesController(deps, ctx)),
  ]
}

/**
 * Builds the Express 5 application on `deps` (which the caller owns and closes). No side effects
 * besides registering metrics on `deps.registry` (or a fresh registry). Every answer carries
 * `X-Request-Id` and helmet's security headers; a route authenticates (and rate-limits) before it
 * reads a JSON body. Set `app.locals.draining = true` to make `/ready` answer 503.
 */
export function createApp(deps: AppDeps, options: AppOptions = {}): Express {
  const app = express()
  app.disable('x-powered-by')
  app.set('etag', false) // cacheResponse sets strong ETags itself; uncached routes need none
  const metrics = createMetrics(deps.registry ?? new Registry(), deps.db, deps.cache)
  let openapi: ReturnType<typeof buildOpenApi> | undefined
  let docsHtml: string | undefined
  const onNotStored = deps.onNotStored
  const withMetrics: AppDeps = {
    ...deps,
    onNotStored: (reason, route) => {
      metrics.notStored(reason, route)
      onNotStored?.(reason, route)
    },
  }
  const routes: RouteSpec[] = buildRoutes(withMetrics, options, {
    metrics: async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics())
    },
    openapi: (_req, res) => {
      openapi ??= buildOpenApi(routes)
      res.json(openapi)
    },
    docs: (_req, res) => {
      openapi ??= buildOpenApi(routes)
      docsHtml ??= renderDocsPage(openapi)
      res.type('html').send(docsHtml)
    },
  })

  app.use(requestId())
  if (deps.logger) app.use(requestLog(deps.logger))
  app.use(metrics.observe)
  app.use(helmet())
  if (options.corsOrigins?.length)
    app.use(cors({ origin: [...options.corsOrigins], exposedHeaders: EXPOSED_HEADERS, maxAge: 600 }))

  const keyAuth = apiKeyAuth(deps.db, deps.cache)
  const limit = options.rateLimit && perKeyRateLimit(options.rateLimit)
  const admin = adminAuth(deps.adminToken)
  const body = jsonBody()
  const idem = idempotency(deps.db)
  for (const route of routes) {
    const chain: RequestHandler[] = [
      (_req, res, next) => {
        res.locals.route = route.path
        next()
      },
    ]
    if (route.auth === 'api_key') chain.push(keyAuth)
    if (route.auth === 'api_key' && limit) chain.push(limit)
    if (route.auth === 'admin') chain.push(admin)
    chain.push(body)
    if (route.idempotent) chain.push(idem)
    chain.push(route.handler)
    app[route.method](route.path, ...chain)
  }
  app.locals.routes = routes
  app.use(routeNotFound)
  app.use(errorHandler)
  return app
}
