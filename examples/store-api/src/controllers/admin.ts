import type { Request, Response } from 'express'
import { z } from 'zod'
import { ID, TIMESTAMP } from '../api/json-fields.js'
import type { NamedSchema, RouteSpec } from '../api/route-spec.js'
import { insertRow } from '../db/insert-row.js'
import { toBool, toInt, toTimestamp } from '../db/values.js'
import { createApiKey } from '../http/api-keys.js'
import { parseBody } from '../http/validate.js'
import type { AppDeps } from '../runtime-types.js'

const createSchema = z.strictObject({ name: z.string().trim().min(1).max(255), email: z.email().max(255) })

/** `POST /api/admin/companies` answers the company and its first API key. */
const createdSchema = z.object({
  company: z.object({
    id: ID,
    name: createSchema.shape.name,
    email: createSchema.shape.email,
    is_active: z.boolean(),
    created_at: TIMESTAMP,
  }),
  api_key: z.string(),
})
const createdBody: NamedSchema = { name: 'CompanyCreated', schema: createdSchema }

/** Admin: creates companies (the only route outside a company's scope). */
export class AdminController {
  constructor(private readonly deps: AppDeps) {}

  async createCompany(req: Request, res: Response): Promise<void> {
    const b = parseBody(createSchema, req.body)
    const { db } = this.deps
    const { company, key } = await db.transaction(async (trx) => {
      const id = await insertRow(trx, 'companies', {
        name: b.name,
        email: b.email.toLowerCase(),
        is_active: true,
        created_at: new Date(),
      })
      const row = (await trx('companies').where({ id }).first()) as Record<string, unknown>
      return { company: row, key: await createApiKey(trx, id, 'created with the company') }
    })
    const created: z.output<typeof createdSchema> = {
      company: {
        id: toInt(company.id),
        name: String(company.name),
        email: String(company.email),
        is_active: toBool(company.is_active),
        created_at: toTimestamp(company.created_at),
      },
      api_key: key,
    }
    res.status(201).json(created)
  }
}

/** The admin routes (`Authorization: Bearer $ADMIN_TOKEN`). */
export function adminRoutes(c: AdminController): RouteSpec[] {
  return [
    {
      method: 'post',
      path: '/api/admin/companies',
      operationId: 'createCompany',
      summary: 'Create a company and its first API key (shown once; only its sha256 is stored)',
      tag: 'admin',
      auth: 'admin',
      body: createSchema,
      returns: createdBody,
      responses: { 201: '{ company, api_key }', 409: 'A company with this email exists' },
      handler: (req, res) => c.createCompany(req, res),
    },
  ]
}
