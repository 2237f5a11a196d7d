// Read-only lists the dashboard polls: the same clusters and requests that `POST /status` and
// `GET /api/status` give, with the same visibility rules (src/core/access.ts), read straight from
// the store (no request row per poll) and answered with an ETag (304 when unchanged).
import { Type as T } from '@sinclair/typebox'
import { defineEndpoint } from '../define'
import { Cluster, RequestPayload } from '../wire'

const impl = () => import('../../server/endpoints/dashboard')

export const dashboardClusters = defineEndpoint({
  name: 'dashboard.clusters',
  route: '/api/dashboard/clusters',
  method: 'GET',
  tag: 'dashboard',
  summary: "The caller's clusters (or everyone's), as sky status lists them.",
  access: 'user',
  input: T.Object({ all_users: T.Optional(T.Boolean()), name: T.Optional(T.String()) }),
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
  input: T.Object({ all_users: T.Optional(T.Boolean()), limit: T.Optional(T.Integer({ minimum: 1, maximum: 5000 })) }),
  result: T.Array(RequestPayload),
  handler: async () => (await impl()).requests,
})
