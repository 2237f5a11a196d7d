// Read-only lists the dashboard polls: the same clusters, requests and managed jobs that
// `POST /status`, `GET /api/status` and `POST /jobs/queue` give, with the same visibility rules (src/core/access.ts), read straight from
// the store (no request row per poll) and answered with an ETag (304 when unchanged).
import { Type as T } from '@sinclair/typebox'
import { defineEndpoint } from '../define'
import { PageQuery } from '../schemas'
import { Cluster, ManagedJobQueue, RequestPayload, Service } from '../wire'

const impl = () => import('../../server/endpoints/dashboard')

export const dashboardClusters = defineEndpoint({
  name: 'dashboard.clusters',
  route: '/api/dashboard/clusters',
  method: 'GET',
  tag: 'dashboard',
  summary: "The caller's clusters (or everyone's), as sky status lists them, by name, up to 5,000 a page (X-Sky-Next-Cursor).",
  access: 'user',
  paged: true,
  input: T.Object({
    all_users: T.Optional(T.Boolean()),
    name: T.Optional(T.String({ maxLength: 256 })),
    limit: T.Optional(T.Integer({ minimum: 1, maximum: 5000 })),
    cursor: PageQuery.cursor,
  }),
  result: T.Array(Cluster),
  handler: async () => (await impl()).clusters,
})

export const dashboardRequests = defineEndpoint({
  name: 'dashboard.requests',
  route: '/api/dashboard/requests',
  method: 'GET',
  tag: 'dashboard',
  summary: "The caller's requests (or everyone's) of every status, newest first.",
  access: 'user',
  input: T.Object({ all_users: T.Optional(T.Boolean()), limit: PageQuery.limit }),
  result: T.Array(RequestPayload),
  handler: async () => (await impl()).requests,
})

export const dashboardJobs = defineEndpoint({
  name: 'dashboard.jobs',
  route: '/api/dashboard/jobs',
  method: 'GET',
  tag: 'dashboard',
  summary: "The caller's managed jobs (or everyone's), newest first, as sky jobs queue lists them.",
  access: 'user',
  input: T.Object({ all_users: T.Optional(T.Boolean()), limit: T.Optional(T.Integer({ minimum: 1, maximum: 5000, description: 'Newest jobs first, at most this many (default 500)' })) }),
  result: ManagedJobQueue,
  handler: async () => (await impl()).jobs,
})

export const dashboardServices = defineEndpoint({
  name: 'dashboard.services',
  route: '/api/dashboard/services',
  method: 'GET',
  tag: 'dashboard',
  summary: 'Services with their versions and replicas, as sky serve status lists them.',
  access: 'user',
  input: T.Object({}),
  result: T.Object({ services: T.Array(Service) }),
  handler: async () => (await impl()).services,
})

export const dashboardLoginCode = defineEndpoint({
  name: 'dashboard.login_code',
  route: '/api/dashboard/login-code',
  method: 'POST',
  tag: 'dashboard',
  summary: 'Local server: a one-time code (two minutes) that opens the dashboard; `sky dashboard` puts it in the URL fragment.',
  access: 'user',
  input: T.Object({}),
  result: T.Object({ code: T.String() }),
  handler: async () => (await impl()).loginCode,
})

export const dashboardSession = defineEndpoint({
  name: 'dashboard.session',
  route: '/api/dashboard/session',
  method: 'POST',
  tag: 'dashboard',
  summary: "Local server: trade a one-time code for the owner's token, once.",
  access: 'public',
  input: T.Object({ code: T.String({ minLength: 1, maxLength: 100 }) }),
  result: T.Object({ local_token: T.String() }),
  handler: async () => (await impl()).session,
})
