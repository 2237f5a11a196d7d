// Services (SkyPilot's sky.serve.*): up records a service for the controller in the API server,
// update adds a version, status lists services with their replicas, down tears services (or one
// replica) down, logs streams a replica's or the controller's or load balancer's log, and the
// token operations manage bearer tokens of endpoints with `service.auth`. The SDK exports them as
// the `serve` namespace: `serve.up({ task, service_name })`, as SkyPilot's `sky.serve.up`.
import { Type as T } from '@sinclair/typebox'
import { defineOp } from '../define'
import { TaskYaml, Uploads } from '../schemas'
import { ServeDownResult, ServeLogsResult, ServeToken, ServeTokenCreated, ServeTokenRevoked, ServeUpdateResult, ServeUpResult, Service } from '../wire'

const impl = () => import('../../server/ops/impl/serve')
const ServiceName = T.String({ minLength: 1, maxLength: 64, description: 'Service name' })
const TokenName = T.String({ minLength: 1, maxLength: 64, description: 'Token name' })
const UpdateMode = T.Union([T.Literal('rolling'), T.Literal('blue_green')], { description: 'rolling (default) or blue_green' })

export const up = defineOp({
  name: 'sky.serve.up',
  route: '/serve/up',
  tag: 'serve',
  summary: 'Record a service (a task with a service: section); its controller in the API server launches the replicas and the load balancer.',
  access: 'user',
  lane: 'short',
  // A re-run finds the service the first run recorded (keyed by request id).
  idempotent: true,
  body: T.Object({
    task: T.String({ ...TaskYaml, minLength: 1 }),
    service_name: T.Optional(ServiceName),
    entrypoint: T.Optional(T.String({ maxLength: 1000, description: 'The command line, for display' })),
    uploads: T.Optional(Uploads),
  }),
  result: ServeUpResult,
  handler: async () => (await impl()).up,
})

export const update = defineOp({
  name: 'sky.serve.update',
  route: '/serve/update',
  tag: 'serve',
  summary: 'Add a version of a service; its replicas are replaced rolling or blue-green.',
  access: 'user',
  lane: 'short',
  idempotent: false,
  body: T.Object({ task: T.String({ ...TaskYaml, minLength: 1 }), service_name: ServiceName, mode: T.Optional(UpdateMode), uploads: T.Optional(Uploads) }),
  result: ServeUpdateResult,
  handler: async () => (await impl()).update,
})

export const status = defineOp({
  name: 'sky.serve.status',
  route: '/serve/status',
  tag: 'serve',
  summary: 'Services (all, or those named) with their replicas.',
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({ service_names: T.Optional(T.Array(ServiceName, { maxItems: 1000 })) }),
  result: T.Array(Service),
  handler: async () => (await impl()).status,
})

export const down = defineOp({
  name: 'sky.serve.down',
  route: '/serve/down',
  tag: 'serve',
  summary: "Tear services down (every replica and the load balancer; the port is freed), all of the caller's, or one replica.",
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({
    service_names: T.Optional(T.Array(ServiceName, { maxItems: 1000 })),
    all: T.Optional(T.Boolean()),
    purge: T.Optional(T.Boolean({ description: 'Forget the service even if cleaning up fails' })),
    replica_id: T.Optional(T.Integer({ minimum: 1, description: 'Terminate only this replica (one service)' })),
  }),
  result: ServeDownResult,
  handler: async () => (await impl()).down,
})

export const logs = defineOp({
  name: 'sky.serve.logs',
  route: '/serve/logs',
  tag: 'serve',
  summary: "Stream a replica's output, or the service controller's or load balancer's log, into the request log.",
  access: 'user',
  lane: 'short',
  idempotent: true,
  // Following a log is only useful while someone reads it.
  cancelOnDisconnect: true,
  body: T.Object({
    service_name: ServiceName,
    target: T.Union([T.Literal('replica'), T.Literal('controller'), T.Literal('load_balancer')]),
    replica_id: T.Optional(T.Integer({ minimum: 1 })),
    follow: T.Optional(T.Boolean()),
    tail: T.Optional(T.Integer({ minimum: 0 })),
  }),
  result: ServeLogsResult,
  handler: async () => (await impl()).logs,
})

export const tokenCreate = defineOp({
  name: 'sky.serve.token_create',
  route: '/serve/token/create',
  tag: 'serve',
  summary: 'A new bearer token for a service endpoint (the secret is in the result only; its hash is stored).',
  access: 'user',
  lane: 'short',
  idempotent: false,
  body: T.Object({ service_name: ServiceName, name: T.Optional(TokenName) }),
  result: ServeTokenCreated,
  handler: async () => (await impl()).tokenCreate,
})

export const tokenList = defineOp({
  name: 'sky.serve.token_list',
  route: '/serve/token/list',
  tag: 'serve',
  summary: "A service's tokens: names and hints, never the secrets.",
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({ service_name: ServiceName }),
  result: T.Array(ServeToken),
  handler: async () => (await impl()).tokenList,
})

export const tokenRevoke = defineOp({
  name: 'sky.serve.token_revoke',
  route: '/serve/token/revoke',
  tag: 'serve',
  summary: 'Revoke a token; the load balancer refuses it before this returns.',
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({ service_name: ServiceName, name: TokenName }),
  result: ServeTokenRevoked,
  handler: async () => (await impl()).tokenRevoke,
})
