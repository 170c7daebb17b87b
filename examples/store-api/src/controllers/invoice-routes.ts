import type { z } from 'zod'
import type { RouteSpec } from '../api/route-spec.js'
import { invoiceBody } from './invoice-rows.js'
import { type InvoicesController, invoiceCreateSchema, invoiceIssueSchema, invoiceList } from './invoices.js'

/** The invoice routes. */
export function invoiceRoutes(c: InvoicesController): RouteSpec[] {
  const tag = 'invoices'
  const missing = 'No such invoice in this company'
  const action = (
    name: 'issue' | 'pay' | 'cancel',
    summary: string,
    conflict: string,
    body?: z.ZodType,
  ): RouteSpec => ({
    method: 'post',
    path: `/api/invoices/:id/${name}`,
    operationId: `${name}Invoice`,
    summary,
    tag,
    auth: 'api_key',
    ...(body ? { body } : {}),
    idempotent: true,
    returns: invoiceBody,
    responses: { 200: 'The invoice after the change', 404: missing, 409: conflict },
    handler: (req, res) => c[name](req, res),
  })
  return [
    {
      method: 'get',
      path: '/api/invoices',
      operationId: 'listInvoices',
      summary: 'List invoices with their lines (lines batch-loaded: one query per page)',
      tag,
      auth: 'api_key',
      list: invoiceList,
      returns: invoiceBody,
      responses: { 200: 'A page of invoices' },
      handler: (req, res) => c.list(req, res),
    },
    {
      method: 'post',
      path: '/api/invoices',
      operationId: 'createInvoice',
      summary: 'Create a draft invoice; a line without unit_price takes the product’s sale price',
      tag,
      auth: 'api_key',
      body: invoiceCreateSchema,
      idempotent: true,
      returns: invoiceBody,
      responses: { 201: 'The draft invoice with its lines' },
      handler: (req, res) => c.create(req, res),
    },
    {
      method: 'get',
      path: '/api/invoices/:id',
      operationId: 'getInvoice',
      summary: 'One invoice with its lines',
      tag,
      auth: 'api_key',
      returns: invoiceBody,
      responses: { 200: 'The invoice', 404: missing },
      handler: (req, res) => c.detail(req, res),
    },
    action(
      'issue',
      'Issue a draft: a sale takes its lines out of the warehouse (a purchase or credit note brings them in), in one transaction',
      'invalid_state (not a draft) or insufficient_stock (nothing was written)',
      invoiceIssueSchema,
    ),
    action('pay', 'Mark an issued invoice paid', 'invalid_state (not issued)'),
    action(
      'cancel',
      'Cancel a draft or issued invoice; an issued one has its stock movements reversed in the same transaction',
      'invalid_state (paid or already cancelled) or insufficient_stock (a purchase whose goods left)',
    ),
  ]
}
