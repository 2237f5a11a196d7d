// The API contract's building blocks. Every endpoint is defined once, with `defineOp` (an
// operation that runs as a request: POST returns a request id, `/api/get` its result) or
// `defineEndpoint` (answered directly: health, request management, users). A definition holds the
// name, route, who may call it, the body or query schema, the result schema and a loader for its
// server-side handler; the registry, the Elysia routes, the OpenAPI document and the SDK function
// are all derived from it.
//
// A definition is itself the SDK function: `await launch({ task, cluster_name: 'c' })` submits the
// request and returns its typed request id (`streamAndGet(id)` then gives the typed result), and
// `launch.route`, `launch.body`, ... describe it. Calling needs a client (`{ client }`, or the
// default one from src/sdk, loaded on first use), never anything from the server.
import { Type as T, type Static, type TObject, type TSchema } from '@sinclair/typebox'
import { CommonBody } from './schemas'
import type { Access } from '../core/access'
import type { EndpointContext, OpContext } from '../server/ops/types'

/** How a direct endpoint is called: GET (query), POST (JSON body) or PUT (raw bytes). */
export type EndpointMethod = 'GET' | 'POST' | 'PUT'

/** Executor lane: LONG for provisioning-sized work, SHORT for quick reads and writes. */
export type Lane = 'long' | 'short'

/**
 * Who may call: `public` needs no credentials (health); `user` any authenticated user (each
 * handler still applies the per-object rules in src/core/access.ts); `admin` admins only.
 */
export type { Access }

declare const resultOf: unique symbol
/** A request id that remembers its operation's result type (SkyPilot's `RequestId[T]`). */
export type RequestId<T = unknown> = string & { readonly [resultOf]?: T }

/** What a definition needs to call the server (src/sdk's SkyClient). */
export interface Caller {
  /** POST a request operation; resolves to its request id. */
  submit(route: string, body: unknown): Promise<string>
  /** Call a direct endpoint; resolves to its parsed JSON answer. */
  call(method: EndpointMethod, route: string, input: unknown): Promise<unknown>
}

export interface CallOptions {
  /** The API server to use (default: the SDK's default client: env, then config, then local). */
  client?: Caller
}

type Input<B> = {} extends B ? [input?: B, options?: CallOptions] : [input: B, options?: CallOptions]

/** The server-side handler of a request operation: runs in a worker thread. */
export type OpHandler<B = any, R = unknown> = (ctx: OpContext, body: B) => Promise<R>
/** The server-side handler of a direct endpoint: runs on the server thread. */
export type EndpointHandler<I = any, R = unknown> = (ctx: EndpointContext, input: I) => Promise<R | Response>

interface Described<N extends string, P extends `/${string}`, R extends TSchema> {
  /** Request name (`sky.launch`): the OpenAPI operationId and what `sky api status` shows. */
  name: N
  route: P
  /** Resource group (route file and OpenAPI tag): clusters, jobs, catalog, infra, requests, users. */
  tag: string
  /** One line for the OpenAPI document and the SDK's docs. */
  summary: string
  access: Access
  result: R
}

export interface OpSpec<N extends string, P extends `/${string}`, B extends TSchema, R extends TSchema> extends Described<N, P, R> {
  lane: Lane
  /** Safe to run again from the start if the server died while it ran. */
  idempotent: boolean
  body: B
  /** The cluster a request acts on (`sky api status -c`, and stop/down cancel its other requests). */
  cluster?: (body: Static<B>) => string | undefined
  /** Cancel the request when a client following its log (`/api/stream`) disconnects. */
  cancelOnDisconnect?: boolean
  handler: () => Promise<OpHandler<Static<B>, Static<R>>>
}

export interface EndpointSpec<N extends string, P extends `/${string}`, I extends TSchema, R extends TSchema> extends Described<N, P, R> {
  method: EndpointMethod
  /**
   * Fields named in the route (`/upload/blobs/:hash`) are path parameters; the rest are the query
   * (GET, PUT) or the JSON body (POST). A PUT's `bytes` field (`T.Uint8Array()`) is its raw
   * application/octet-stream body.
   */
  input: I
  /** `text`: the handler answers a streaming text Response (the result schema describes it). */
  produces?: 'json' | 'text'
  /**
   * A list answered one page at a time (src/server/paging.ts): the input takes `limit` and
   * `cursor`, and the X-Sky-Next-Cursor header carries the next page's cursor (`pages` in src/sdk
   * follows it).
   */
  paged?: boolean
  handler: () => Promise<EndpointHandler<Static<I>, Static<R>>>
}

export type RequestOp<N extends string = string, P extends `/${string}` = `/${string}`, B extends TSchema = TSchema, R extends TSchema = TSchema> = Readonly<
  OpSpec<N, P, B, R> & { kind: 'request' }
> &
  ((...args: Input<Static<B>>) => Promise<RequestId<Static<R>>>)

export type Endpoint<N extends string = string, P extends `/${string}` = `/${string}`, I extends TSchema = TSchema, R extends TSchema = TSchema> = Readonly<
  EndpointSpec<N, P, I, R> & { kind: 'endpoint' }
> &
  ((...args: Input<Static<I>>) => Promise<Static<R>>)

export type AnyOp = RequestOp<string, `/${string}`, any, any>
export type AnyEndpoint = Endpoint<string, `/${string}`, any, any>
export type AnyDefinition = AnyOp | AnyEndpoint

/** The body type of an operation (or the input of an endpoint). */
export type BodyOf<D> = D extends { kind: 'request'; body: infer B extends TSchema } ? Static<B> : D extends { input: infer I extends TSchema } ? Static<I> : never
/** The result type of an operation or endpoint. */
export type ResultOf<D> = D extends { result: infer R extends TSchema } ? Static<R> : never

async function callerOf(o: CallOptions | undefined): Promise<Caller> {
  if (o?.client) return o.client
  const { defaultClient } = await import('../sdk/default-client')
  return defaultClient()
}

/** Copy the spec onto the function (a function's own `name` must be redefined, not assigned). */
function describe<F extends Function, S extends object>(fn: F, spec: S): F & Readonly<S> {
  for (const [k, v] of Object.entries(spec)) Object.defineProperty(fn, k, { value: v, enumerable: true, writable: false, configurable: false })
  return Object.freeze(fn) as F & Readonly<S>
}

/** An operation that runs as a request (SkyPilot's `/launch`, `/status`, ...). */
export function defineOp<const N extends string, const P extends `/${string}`, B extends TSchema, R extends TSchema>(spec: OpSpec<N, P, B, R>): RequestOp<N, P, B, R> {
  const fn = async (input?: unknown, o?: CallOptions) => (await callerOf(o)).submit(spec.route, input ?? {})
  // Every body may also carry the common fields (src/api/schemas.ts); the client adds them.
  const props = (spec.body as { properties?: Record<string, TSchema> }).properties
  const body = props ? ({ ...spec.body, properties: { ...CommonBody, ...props } } as unknown as B) : spec.body
  return describe(fn, { ...spec, body, kind: 'request' as const }) as unknown as RequestOp<N, P, B, R>
}

/** An endpoint answered directly, without a request row (health, /api/*, /users/*). */
export function defineEndpoint<const N extends string, const P extends `/${string}`, I extends TSchema, R extends TSchema>(
  spec: EndpointSpec<N, P, I, R>,
): Endpoint<N, P, I, R> {
  const fn = async (input?: unknown, o?: CallOptions) => (await callerOf(o)).call(spec.method, spec.route, input ?? {})
  return describe(fn, { ...spec, kind: 'endpoint' as const }) as unknown as Endpoint<N, P, I, R>
}

export function isRequestOp(d: AnyDefinition): d is AnyOp {
  return d.kind === 'request'
}

/** The path parameters (`:hash`) of a route. */
export function routeParams(route: string): string[] {
  return [...route.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!)
}

/** The route with its parameters filled from `input`; returns the path and the input left over. */
export function fillRoute(route: string, input: Record<string, unknown>): { path: string; rest: Record<string, unknown> } {
  const rest = { ...input }
  const path = route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, (_, k: string) => {
    const v = rest[k]
    delete rest[k]
    return encodeURIComponent(String(v ?? ''))
  })
  return { path, rest }
}

/**
 * An endpoint's input split by where each part travels: its path parameters, and the rest (the
 * query, or the JSON body); a PUT's raw `bytes` is in neither.
 */
export function splitInput(def: Pick<AnyEndpoint, 'route' | 'method' | 'input'>): { params?: TObject; rest: TObject } {
  const input = def.input as TObject
  const names = new Set(routeParams(def.route))
  const raw = def.method === 'PUT' ? 'bytes' : undefined
  if (!names.size && !raw) return { rest: input }
  const pick = (keep: (k: string) => boolean) => Object.fromEntries(Object.entries(input.properties ?? {}).filter(([k]) => keep(k)))
  const options = input.additionalProperties === undefined ? {} : { additionalProperties: input.additionalProperties }
  return { params: names.size ? T.Object(pick((k) => names.has(k))) : undefined, rest: T.Object(pick((k) => !names.has(k) && k !== raw), options) }
}
