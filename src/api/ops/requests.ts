// Request management (SkyPilot's /api/*): wait for a request's result, stream its log, list and
// cancel requests; and the health probe every client starts with.
import { Type as T } from '@sinclair/typebox'
import { defineEndpoint } from '../define'
import { PageQuery } from '../schemas'
import { CancelResult, Health, RequestPayload } from '../wire'

const impl = () => import('../../server/endpoints/requests')

export const health = defineEndpoint({
  name: 'api.health',
  route: '/api/health',
  method: 'GET',
  tag: 'requests',
  summary: 'Liveness, versions, auth mode, and who the caller is (credentials sent must be right).',
  access: 'public',
  input: T.Object({}),
  result: Health,
  handler: async () => (await impl()).health,
})

export const apiGet = defineEndpoint({
  name: 'api.get',
  route: '/api/get',
  method: 'GET',
  tag: 'requests',
  summary: 'A request, once final (HTTP 200), or as it is after `timeout` seconds (HTTP 202). Ids may be unique prefixes.',
  access: 'user',
  input: T.Object({ request_id: T.String({ minLength: 1, maxLength: 64 }), timeout: T.Optional(T.Number({ minimum: 0, maximum: 50, description: 'Seconds to wait (at most 50)' })) }),
  result: RequestPayload,
  handler: async () => (await impl()).get,
})

export const apiStream = defineEndpoint({
  name: 'api.stream',
  route: '/api/stream',
  method: 'GET',
  tag: 'requests',
  summary: "A request's log as chunked text, following it until the request is final (default: the caller's latest request).",
  access: 'user',
  produces: 'text',
  input: T.Object({
    request_id: T.Optional(T.String({ maxLength: 64 })),
    follow: T.Optional(T.Boolean({ description: 'Default true' })),
    tail: T.Optional(T.Integer({ minimum: 0, maximum: 1_000_000, description: 'Only the last N lines' })),
    format: T.Optional(T.String({ description: 'Accepted for SkyPilot clients; the log is always plain text' })),
  }),
  result: T.String(),
  handler: async () => (await impl()).stream,
})

export const apiStatus = defineEndpoint({
  name: 'api.status',
  route: '/api/status',
  method: 'GET',
  tag: 'requests',
  summary: "Requests, newest first: the caller's active ones by default. One page at a time (X-Sky-Next-Cursor).",
  access: 'user',
  paged: true,
  input: T.Object({
    request_ids: T.Optional(T.String({ maxLength: 4000, description: 'Comma-separated id prefixes (at most 100)' })),
    all_status: T.Optional(T.Boolean({ description: 'Include finished requests' })),
    all_users: T.Optional(T.Boolean()),
    cluster_name: T.Optional(T.String({ maxLength: 200 })),
    ...PageQuery,
  }),
  result: T.Array(RequestPayload),
  handler: async () => (await impl()).status,
})

export const apiCancel = defineEndpoint({
  name: 'api.cancel',
  route: '/api/cancel',
  method: 'POST',
  tag: 'requests',
  summary: "Cancel requests by id prefix, or all of the caller's (all), or everyone's (all_users, admins).",
  access: 'user',
  input: T.Object({
    request_ids: T.Optional(T.Array(T.String({ minLength: 1, maxLength: 64 }), { maxItems: 1000 })),
    all: T.Optional(T.Boolean()),
    all_users: T.Optional(T.Boolean()),
  }),
  result: CancelResult,
  handler: async () => (await impl()).cancel,
})
