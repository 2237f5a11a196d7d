// Elysia routes derived from API definitions (src/api): each operation becomes a POST that
// validates its body against the definition's schema, checks who may call it, stores a PENDING
// request and answers its id; each endpoint becomes a GET or POST whose query or body is
// validated and whose handler (loaded once) answers directly. Answers are typed at compile time
// (each handler against its definition's result schema) and checked against the schemas in
// test/integration/server/contract.test.ts, not again on every request: /api/get and /api/health
// are the server's hottest paths.
import type { TSchema } from '@sinclair/typebox'
import { Elysia } from 'elysia'
import { isRequestOp, splitInput, type AnyDefinition, type AnyEndpoint, type AnyOp, type EndpointHandler } from '../../api/define'
import type { SubmitResponse } from '../../api/wire'
import { checkCall } from '../../core/access'
import { ServerUnreachableError, ValidationError } from '../../core/errors'
import type { AppDeps } from '../context'
import type { Requester } from '../requests/service'

type Set = { status?: number | string; headers: Record<string, string | number> }

const ANONYMOUS: Requester = { id: '', name: '', role: undefined, isAdmin: false }

/** Routes for every definition of a resource module (`import * as clusters from 'src/api/ops/clusters'`). */
export function routesFor(d: AppDeps, defs: Record<string, AnyDefinition>) {
  const app = new Elysia()
  for (const def of Object.values(defs)) {
    if (isRequestOp(def)) addOp(app, d, def)
    else addEndpoint(app, d, def)
  }
  return app
}

/** Submit a request for an operation whose body was already validated. */
export async function submitOp(d: AppDeps, request: Request, op: Pick<AnyOp, 'name' | 'access'>, body: unknown, set: Set): Promise<SubmitResponse> {
  if (d.info.draining) throw new ServerUnreachableError('The API server is shutting down; try again in a moment.')
  const who = await d.identify(request)
  checkCall(op.access, who, op.name)
  const id = await d.requests.submit(op.name, (body ?? {}) as Record<string, unknown>, { id: who.id, name: who.name, role: who.role })
  set.headers['x-skypilot-request-id'] = id
  return { request_id: id }
}

function addOp(app: Elysia, d: AppDeps, op: AnyOp): void {
  app.post(op.route, ({ body, request, set }) => submitOp(d, request, op, body, set), {
    body: op.body,
    detail: { operationId: op.name, summary: op.summary, tags: [op.tag] },
  })
}

async function caller(d: AppDeps, def: AnyEndpoint, request: Request): Promise<{ who: Requester; anonymous: boolean }> {
  if (def.access !== 'public') {
    const who = await d.identify(request)
    checkCall(def.access, who, def.name)
    return { who, anonymous: false }
  }
  // A local server names its owner only to a caller that presents the owner's token.
  if (d.local && !d.local.valid(request)) return { who: ANONYMOUS, anonymous: true }
  try {
    return { who: await d.identify(request), anonymous: false }
  } catch (e) {
    // Open to all, but credentials that were sent must be right (sky api login checks them here).
    if (request.headers.has('authorization') && d.info.deploy) throw e
    return { who: ANONYMOUS, anonymous: true }
  }
}

function addEndpoint(app: Elysia, d: AppDeps, def: AnyEndpoint): void {
  let handler: EndpointHandler | undefined
  const run = async (request: Request, set: Set, input: unknown) => {
    const { who, anonymous } = await caller(d, def, request)
    handler ??= await def.handler()
    return handler({ deps: d, request, who, anonymous, set }, input ?? {})
  }
  const detail = { operationId: def.name, summary: def.summary, tags: [def.tag] }
  const { params, rest } = splitInput(def)
  const withParams = params ? { params } : {}
  if (def.method === 'POST') {
    app.post(def.route, ({ body, params: p, request, set }) => run(request, set, params ? { ...(body as object), ...p } : body), { body: rest, ...withParams, detail })
    return
  }
  const coerce = queryCoercion(rest)
  const transform = coerce ? ({ query }: { query: Record<string, unknown> }) => coerce(query) : undefined
  // No query schema when there is nothing to validate (it would still parse every query string).
  const withQuery = Object.keys(rest.properties ?? {}).length > 0 ? { query: rest } : {}
  if (def.method === 'GET') {
    app.get(def.route, ({ query, params: p, request, set }) => run(request, set, params ? { ...query, ...p } : query), { ...withQuery, ...withParams, detail, transform })
    return
  }
  // PUT: the raw body, read within its route's limit (src/server/body.ts), is the input's `bytes`.
  const bytesOf = (body: unknown) => (body as { bytes?: Uint8Array } | undefined)?.bytes ?? new Uint8Array(0)
  app.put(def.route, ({ query, params: p, body, request, set }) => run(request, set, { ...query, ...p, bytes: bytesOf(body) }), { ...withQuery, ...withParams, detail, transform })
}

/**
 * Query strings as the schema's types, before validation: flags accept true/false/1/0 (and an
 * empty value, `?all=`, as true), numbers and integers their decimal form (anything else is a
 * validation error naming the field).
 */
function queryCoercion(schema: TSchema): ((q: Record<string, unknown>) => void) | undefined {
  const props = Object.entries((schema as { properties?: Record<string, TSchema> }).properties ?? {})
  const flags = props.filter(([, s]) => s.type === 'boolean').map(([k]) => k)
  const numbers = props.filter(([, s]) => s.type === 'integer' || s.type === 'number').map(([k]) => k)
  if (!flags.length && !numbers.length) return undefined
  return (q) => {
    for (const k of flags) {
      const v = q[k]
      if (v === '1' || v === 'true' || v === '') q[k] = true
      else if (v === '0' || v === 'false') q[k] = false
    }
    for (const k of numbers) {
      const v = q[k]
      if (typeof v !== 'string') continue
      // Not a finite number ('abc', '1e309'): refused here, the same in every build.
      const n = v.trim() === '' ? NaN : Number(v)
      if (!Number.isFinite(n)) throw new ValidationError([{ path: k, message: `must be a number, not '${v.slice(0, 40)}'` }])
      q[k] = n
    }
  }
}
