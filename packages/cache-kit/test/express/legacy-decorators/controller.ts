import type { CacheManager } from '@hotpath/cache-kit'
import type { cacheResponse, invalidates } from '@hotpath/cache-kit/express'
import type { NextFunction, Request, Response } from 'express'

/** The decorator factories and the cache, handed in so the compiled fixture needs no imports. */
export interface ControllerDeps {
  cacheResponse: typeof cacheResponse
  invalidates: typeof invalidates
  cache: CacheManager
}

function tenantOf(req: Request): string {
  return /^Bearer (\w+)$/.exec(req.headers.authorization ?? '')?.[1] ?? 'none'
}

/**
 * A controller written the NestJS way. This one source is compiled twice by the test: with this
 * directory's tsconfig (`experimentalDecorators: true`, legacy decorators) and with standard
 * TC39 decorators; both must behave the same.
 */
export function makeController({ cacheResponse, invalidates, cache }: ControllerDeps) {
  class ProductController {
    calls = 0
    version = 0

    @cacheResponse(cache, { ttl: '5m', scope: tenantOf, tags: (req) => [`products:${tenantOf(req)}`] })
    list(req: Request, res: Response, _next?: NextFunction) {
      this.calls++
      res.json({ tenant: tenantOf(req), version: this.version, calls: this.calls })
    }

    // NestJS hands `@Param() id, @Req() req, @Res() res`: the request and response are found anywhere.
    @cacheResponse(cache, { ttl: '5m', scope: tenantOf })
    async detail(id: string, req: Request, res: Response) {
      this.calls++
      await Promise.resolve()
      res.json({ id, tenant: tenantOf(req) })
    }

    @invalidates(cache, (req) => [`products:${tenantOf(req)}`])
    create(_req: Request, res: Response) {
      this.version++
      res.status(201).json({ version: this.version })
    }

    // A write through a cacheResponse policy: its `invalidates` option runs on a 2xx only. The
    // status comes from `X-Status` so a test can fail the write (4xx, 5xx).
    @cacheResponse(cache, {
      ttl: '5m',
      scope: tenantOf,
      invalidates: (req) => [`products:${tenantOf(req)}`],
    })
    update(req: Request, res: Response) {
      const status = Number(req.headers['x-status'] ?? 200)
      if (status < 300) this.version++
      res.status(status).json({ version: this.version })
    }
  }
  return ProductController
}
