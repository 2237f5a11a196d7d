// Every definition of the API, by resource. A new operation in an existing resource file is picked
// up everywhere (routes, executor, worker, OpenAPI, SDK) with no other edit; a new resource file
// (e.g. managed jobs) adds one line here, one `export *` in src/sdk/index.ts and a route file.
import { isRequestOp, type AnyDefinition, type AnyOp } from './define'
import * as catalog from './ops/catalog'
import * as clusters from './ops/clusters'
import * as dashboard from './ops/dashboard'
import * as infra from './ops/infra'
import * as jobs from './ops/jobs'
import * as managedJobs from './ops/managed-jobs'
import * as requests from './ops/requests'
import * as serve from './ops/serve'
import * as uploads from './ops/uploads'
import * as users from './ops/users'

export const resources = { clusters, jobs, managedJobs, serve, catalog, infra, requests, users, uploads, dashboard } satisfies Record<string, Record<string, AnyDefinition>>

export const definitions: readonly AnyDefinition[] = Object.values(resources).flatMap((m) => Object.values(m) as AnyDefinition[])

/** Operations that run as requests, by request name (`sky.launch`). */
export const requestOps: ReadonlyMap<string, AnyOp> = new Map(definitions.filter(isRequestOp).map((op) => [op.name, op]))
