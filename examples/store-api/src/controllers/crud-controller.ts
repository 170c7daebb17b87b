import type { Request, Response } from 'express'
import type { Knex } from 'knex'
import type { z } from 'zod'
import { invalidate } from '../api/cached-read.js'
import { type ListContext, sendList } from '../api/list-response.js'
import type { ListSpec, NamedSchema, ResourceName, RouteSpec } from '../api/route-spec.js'
import { insertRow } from '../db/insert-row.js'
import { NotFoundError } from '../errors.js'
import { companyOf } from '../http/request-context.js'
import { parseBody, parseId } from '../http/validate.js'
import type { AppDeps } from '../runtime-types.js'

/** A plain company-owned resource (shops, categories, suppliers, warehouses): its table and rules. */
export interface CrudResource<F, R extends z.ZodType = z.ZodType> {
  readonly resource: ResourceName
  /** Singular, for messages and operation ids (`shop`). */
  readonly singular: string
  readonly table: string
  readonly columns: readonly string[]
  readonly create: z.ZodObject
  readonly update: z.ZodObject
  readonly list: ListSpec
  readonly applyFilters: (q: Knex.QueryBuilder, filters: F) => Knex.QueryBuilder
  /** The row as the API sends it, under its OpenAPI name (`Shop`): what `serialize` returns. */
  readonly row: NamedSchema & { readonly schema: R }
  readonly serialize: (row: Record<string, unknown>) => z.output<R>
  /** Other resources whose reads show this one (a write invalidates them too). */
  readonly shownBy: readonly ResourceName[]
  /** Extra columns set on insert (timestamps). */
  readonly onInsert?: () => Record<string, unknown>
}

/** List, detail, create, update and delete for one {@link CrudResource}, scoped to the caller's company. */
export class CrudController<F> {
  constructor(
    private readonly def: CrudResource<F>,
    private readonly deps: AppDeps,
    private readonly ctx: ListContext,
  ) {}

  private base(companyId: number): Knex.QueryBuilder {
    return this.deps
      .db(this.def.table)
      .where('company_id', companyId)
      .select(...this.def.columns)
  }

  private async load(companyId: number, id: number): Promise<unknown> {
    const row = (await this.base(companyId).where('id', id).first()) as Record<string, unknown> | undefined
    if (!row) throw new NotFoundError(this.def.singular, id)
    return this.def.serialize(row)
  }

  private id(req: Request): number {
    const id = parseId(req.params.id)
    if (id === undefined) throw new NotFoundError(this.def.singular, String(req.params.id))
    return id
  }

  /**
   * A new row changes only this resource's lists: no read of the resources that show it can show
   * it yet (none of their rows refers to it). A change or a deletion changes those reads too.
   */
  private async stale(companyId: number, id: number, change: 'created' | 'changed'): Promise<void> {
    const own = { resource: this.def.resource, records: [id] }
    await invalidate(this.deps, companyId, change === 'created' ? [own] : [own, ...this.def.shownBy])
  }

  async list(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    await sendList<F>(
      req,
      res,
      this.ctx,
      this.def.list,
      (f) => this.def.applyFilters(this.base(companyId), f),
      this.def.serialize,
    )
  }

  async detail(req: Request, res: Response): Promise<void> {
    res.json(await this.load(companyOf(req), this.id(req)))
  }

  async create(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const body = parseBody(this.def.create, req.body) as Record<string, unknown>
    const id = await insertRow(this.deps.db, this.def.table, {
      ...body,
      ...this.def.onInsert?.(),
      company_id: companyId,
    })
    await this.stale(companyId, id, 'created')
    res.status(201).json(await this.load(companyId, id))
  }

  async update(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const id = this.id(req)
    const body = parseBody(this.def.update, req.body) as Record<string, unknown>
    const changed =
      Object.keys(body).length === 0
        ? await this.deps.db(this.def.table).where({ id, company_id: companyId }).count({ n: '*' }).first()
        : await this.deps.db(this.def.table).where({ id, company_id: companyId }).update(body)
    const n = typeof changed === 'number' ? changed : Number((changed as { n?: unknown } | undefined)?.n ?? 0)
    if (n === 0) throw new NotFoundError(this.def.singular, id)
    await this.stale(companyId, id, 'changed')
    res.json(await this.load(companyId, id))
  }

  async remove(req: Request, res: Response): Promise<void> {
    const companyId = companyOf(req)
    const id = this.id(req)
    const n = await this.deps.db(this.def.table).where({ id, company_id: companyId }).delete()
    if (n === 0) throw new NotFoundError(this.def.singular, id)
    await this.stale(companyId, id, 'changed')
    res.status(204).end()
  }
}

function capital(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1)
}

/** The five routes of a {@link CrudResource}. */
export function crudRoutes<F>(def: CrudResource<F>, c: CrudController<F>): RouteSpec[] {
  const base = `/api/${def.resource}`
  const one = capital(def.singular)
  const many = capital(def.resource)
  const tag = def.resource
  const missing = `No such ${def.singular} in this company`
  return [
    {
      method: 'get',
      path: base,
      operationId: `list${many}`,
      summary: `List ${def.resource}`,
      tag,
      auth: 'api_key',
      list: def.list,
      returns: def.row,
      responses: { 200: `A page of ${def.resource}` },
      handler: (req, res) => c.list(req, res),
    },
    {
      method: 'post',
      path: base,
      operationId: `create${one}`,
      summary: `Create a ${def.singular}`,
      tag,
      auth: 'api_key',
      body: def.create,
      idempotent: true,
      returns: def.row,
      responses: { 201: `The created ${def.singular}` },
      handler: (req, res) => c.create(req, res),
    },
    {
      method: 'get',
      path: `${base}/:id`,
      operationId: `get${one}`,
      summary: `One ${def.singular}`,
      tag,
      auth: 'api_key',
      returns: def.row,
      responses: { 200: `The ${def.singular}`, 404: missing },
      handler: (req, res) => c.detail(req, res),
    },
    {
      method: 'patch',
      path: `${base}/:id`,
      operationId: `update${one}`,
      summary: `Change a ${def.singular}`,
      tag,
      auth: 'api_key',
      body: def.update,
      returns: def.row,
      responses: { 200: `The changed ${def.singular}`, 404: missing },
      handler: (req, res) => c.update(req, res),
    },
    {
      method: 'delete',
      path: `${base}/:id`,
      operationId: `delete${one}`,
      summary: `Delete a ${def.singular}`,
      tag,
      auth: 'api_key',
      responses: { 204: 'Deleted', 404: missing, 409: `The ${def.singular} is still referenced` },
      handler: (req, res) => c.remove(req, res),
    },
  ]
}
