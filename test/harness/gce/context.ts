// What a Compute test server handler gets, and the list response every `list` method shares
// (filter, maxResults/pageToken paging, items omitted when empty as Compute does).
import { FilterError, applyFilter } from './filter.ts'
import { GceHttpError, invalidField } from './errors.ts'
import type { OpError, Operations } from './operations.ts'
import type { GceState, Json } from './state.ts'

export interface Ctx {
  state: GceState
  ops: Operations
  /** Path parameters: zone, region, name, operation. */
  params: Record<string, string>
  query: URLSearchParams
  body: Json | undefined
  /** A matched operation fault: the operation this call creates must fail with it. */
  opFault?: OpError
  waitTimeoutMs: number
}

export type Handler = (ctx: Ctx) => Json | Promise<Json>

/** Apply the call's `filter`; a malformed filter is a 400 as in Compute. */
export function filtered<T>(items: T[], query: URLSearchParams): T[] {
  try {
    return applyFilter(items, query.get('filter'))
  } catch (err) {
    if (err instanceof FilterError) throw new GceHttpError(400, 'invalid', err.message)
    throw err
  }
}

export function listResponse(kind: string, items: Json[], ctx: Ctx, selfPath: string): Json {
  const all = filtered(items, ctx.query).sort((a, b) => String(a.name).localeCompare(String(b.name)))
  const max = Number(ctx.query.get('maxResults') ?? 500)
  if (!Number.isInteger(max) || max < 0 || max > 500) throw invalidField('maxResults', ctx.query.get('maxResults'), 'Must be between 0 and 500.')
  const token = ctx.query.get('pageToken')
  const start = token ? Number(Buffer.from(token, 'base64url').toString()) : 0
  if (!Number.isInteger(start) || start < 0) throw invalidField('pageToken', token, 'Invalid page token.')
  const page = all.slice(start, start + (max || 500))
  const next = start + page.length < all.length ? Buffer.from(String(start + page.length)).toString('base64url') : undefined
  return {
    kind,
    id: `projects/${ctx.state.project}/${selfPath}`,
    ...(page.length ? { items: page } : {}),
    ...(next ? { nextPageToken: next } : {}),
    selfLink: ctx.state.url(selfPath),
  }
}

export function requireZone(ctx: Ctx): string {
  const zone = ctx.params.zone!
  if (!ctx.state.regionOf(zone)) throw invalidField('zone', zone, 'Unknown zone.')
  return zone
}
