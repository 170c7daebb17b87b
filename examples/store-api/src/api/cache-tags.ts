import type { ResourceName } from './route-spec.js'

/**
 * The cache tags of one company's cached reads. Every cached response of a resource carries its
 * resource tag; a list (and its cached count) also carries the lists tag, a detail the record tag
 * of its id. So a write can make stale exactly what it changed: a new product only the product
 * lists, a price change the lists and that product's detail, a category rename every product read.
 */
export function resourceTag(resource: ResourceName, companyId: number): string {
  return `${resource}:${companyId}`
}

/** The tag of one company's list responses (and cached counts) of `resource`. */
export function listsTag(resource: ResourceName, companyId: number): string {
  return `${resource}:${companyId}:lists`
}

/** The tag of one company's detail response of record `id` of `resource`. */
export function recordTag(resource: ResourceName, companyId: number, id: number): string {
  return `${resource}:${companyId}:${id}`
}

/**
 * What a write made stale: a resource name (every cached read of it), or a resource's lists plus
 * the details of `records` (the rows it created, changed or deleted).
 */
export type Staleness =
  | ResourceName
  | { readonly resource: ResourceName; readonly records: readonly number[] }

/** The tags to invalidate for `stale` in `companyId`. */
export function staleTags(companyId: number, stale: readonly Staleness[]): string[] {
  const tags = new Set<string>()
  for (const s of stale) {
    if (typeof s === 'string') {
      tags.add(resourceTag(s, companyId))
      continue
    }
    tags.add(listsTag(s.resource, companyId))
    for (const id of s.records) tags.add(recordTag(s.resource, companyId, id))
  }
  return [...tags]
}

/** A path id as the writes name it: a detail requested under another spelling (`07`) is tagged as a list. */
const canonicalId = /^[1-9]\d{0,15}$/

/**
 * The tags of one cached read: a list gets the resource and lists tags; a detail the resource and
 * record tags. A detail whose path id is not in canonical form is tagged like a list, which every
 * write to the resource invalidates, so it can never outlive a change of its record.
 */
export function readTags(resource: ResourceName, companyId: number, detailId?: string): string[] {
  const all = resourceTag(resource, companyId)
  if (detailId !== undefined && canonicalId.test(detailId))
    return [all, recordTag(resource, companyId, Number(detailId))]
  return [all, listsTag(resource, companyId)]
}
