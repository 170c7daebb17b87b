import { PaginationError, parsePageParams } from '@hotpath/paginate'
import { describe, expect, it } from 'vitest'

const options = {
  defaultPageSize: 50,
  maxPageSize: 100,
  ordering: { allowed: ['name', 'sale_price', 'created_at', 'id'], default: ['-created_at'] },
}

function error(query: unknown): PaginationError {
  try {
    parsePageParams(query, options)
  } catch (e) {
    if (e instanceof PaginationError) return e
    throw e
  }
  throw new Error(`no error for ${JSON.stringify(query)}`)
}

describe('parsePageParams', () => {
  it('reads defaults', () => {
    expect(parsePageParams({}, options)).toEqual({
      page: null,
      pageSize: 50,
      ordering: [{ column: 'created_at', direction: 'desc' }],
      cursor: null,
      query: {},
    })
  })

  it('reads page, size, ordering and keeps the other parameters for links', () => {
    const p = parsePageParams(
      { page: '3', page_size: '20', ordering: '-sale_price,name', category: '4', tag: ['a', 'b'] },
      options,
    )
    expect(p.page).toBe(3)
    expect(p.pageSize).toBe(20)
    expect(p.ordering).toEqual([
      { column: 'sale_price', direction: 'desc' },
      { column: 'name', direction: 'asc' },
    ])
    expect(p.query).toEqual({ ordering: '-sale_price,name', category: '4', tag: ['a', 'b'] })
  })

  it('clamps page_size over the maximum', () => {
    expect(parsePageParams({ page_size: '500' }, options).pageSize).toBe(100)
  })

  it.each([
    ['0'],
    ['-1'],
    ['abc'],
    ['1e309'],
    ['1.5'],
    [' 2'],
    [''],
    ['99999999999999999999'],
    [['1']],
    [{ a: '1' }],
  ])('page %j is invalid_page (400)', (page) => {
    const e = error({ page })
    expect([e.code, e.status]).toEqual(['invalid_page', 400])
  })

  it.each([['0'], ['-5'], ['x'], [['10']]])('page_size %j is invalid_page_size (400)', (size) => {
    const e = error({ page_size: size })
    expect([e.code, e.status]).toEqual(['invalid_page_size', 400])
  })

  it.each([['price'], ['-secret'], ['name,-name'], [['name']]])(
    'ordering %j is invalid_ordering (400)',
    (o) => {
      const e = error({ ordering: o })
      expect([e.code, e.status]).toEqual(['invalid_ordering', 400])
    },
  )

  it('refuses cursor together with page', () => {
    const e = error({ cursor: 'abc.def', page: '2' })
    expect([e.code, e.status]).toEqual(['conflicting_params', 400])
  })

  it.each([[['a']], ['x'.repeat(3000)]])('refuses a cursor that is not one short string', (cursor) => {
    expect(error({ cursor }).code).toBe('invalid_cursor')
  })

  it('gives the contract error body', () => {
    expect(error({ page: '0' }).toJSON()).toEqual({
      error: { code: 'invalid_page', message: 'page must be a whole number from 1' },
    })
  })
})
