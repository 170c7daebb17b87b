import type { Request } from 'express'
import { UnauthorizedError } from '../errors.js'

/** What a valid API key grants: the company every read and write of the request is scoped to. */
export interface AuthContext {
  readonly companyId: number
  readonly apiKeyId: number
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set by the API key middleware on `/api/*` routes (never on `/api/admin/*`). */
    auth?: AuthContext
  }
}

/** The authenticated company of `req`; throws `401` when the auth middleware did not run. */
export function companyOf(req: Request): number {
  const auth = req.auth
  if (!auth) throw new UnauthorizedError()
  return auth.companyId
}
