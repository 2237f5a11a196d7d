// Cluster operations: sky status, launch, start, stop, down, autostop.
import { Type as T } from '@sinclair/typebox'
import { defineOp } from '../define'
import { ClusterName, TaskYaml, WaitFor, clusterOf, Uploads } from '../schemas'
import { Cluster, JobSubmitted } from '../wire'

const impl = () => import('../../server/ops/impl/clusters')

export const status = defineOp({
  name: 'sky.status',
  route: '/status',
  tag: 'clusters',
  summary: 'Clusters of the caller (or of everyone), optionally by name or glob, optionally refreshed from the infra.',
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({
    cluster_names: T.Optional(T.Array(T.String({ minLength: 1, maxLength: 256 }), { maxItems: 10_000, description: 'Names or glob patterns' })),
    all_users: T.Optional(T.Boolean()),
    refresh: T.Optional(T.Boolean({ description: "Ask each UP cluster's agent for its state first" })),
  }),
  result: T.Array(Cluster),
  handler: async () => (await import('../../server/ops/impl/status')).status,
})

export const launch = defineOp({
  name: 'sky.launch',
  route: '/launch',
  tag: 'clusters',
  summary: 'Launch a cluster (or reuse one) and run a task on it.',
  access: 'user',
  lane: 'long',
  idempotent: true,
  cluster: clusterOf,
  body: T.Object({
    task: TaskYaml,
    cluster_name: ClusterName,
    retry_until_up: T.Optional(T.Boolean()),
    idle_minutes_to_autostop: T.Optional(T.Union([T.Integer({ minimum: -1 }), T.Null()])),
    autostop_down: T.Optional(T.Boolean()),
    down: T.Optional(T.Boolean({ description: 'Tear the cluster down when its jobs are done' })),
    no_setup: T.Optional(T.Boolean()),
    detach_run: T.Optional(T.Boolean({ description: 'Return once the job is submitted' })),
    wait_for: T.Optional(WaitFor),
    quiet_optimizer: T.Optional(T.Boolean({ description: "The client already showed the optimizer's plan; do not print it again" })),
    command: T.Optional(T.String({ maxLength: 4096, description: 'The command line, shown by sky status -v' })),
    uploads: T.Optional(Uploads),
  }),
  result: JobSubmitted,
  handler: async () => (await impl()).launch,
})

export const start = defineOp({
  name: 'sky.start',
  route: '/start',
  tag: 'clusters',
  summary: 'Restart a stopped cluster.',
  access: 'user',
  lane: 'long',
  idempotent: true,
  cluster: clusterOf,
  body: T.Object({
    cluster_name: ClusterName,
    idle_minutes_to_autostop: T.Optional(T.Integer({ minimum: -1 })),
    down: T.Optional(T.Boolean()),
    wait_for: T.Optional(WaitFor),
    retry_until_up: T.Optional(T.Boolean()),
    force: T.Optional(T.Boolean({ description: 'Re-run runtime setup even if the cluster is UP' })),
  }),
  result: T.Null(),
  handler: async () => (await impl()).start,
})

export const stop = defineOp({
  name: 'sky.stop',
  route: '/stop',
  tag: 'clusters',
  summary: "Stop a cluster (its disk is kept); its other requests are cancelled.",
  access: 'user',
  // Stop, down and start can take minutes on a real provider.
  lane: 'long',
  idempotent: true,
  cluster: clusterOf,
  body: T.Object({ cluster_name: ClusterName, purge: T.Optional(T.Boolean()) }),
  result: T.Null(),
  handler: async () => (await impl()).stop,
})

export const down = defineOp({
  name: 'sky.down',
  route: '/down',
  tag: 'clusters',
  summary: 'Tear a cluster down; its other requests are cancelled.',
  access: 'user',
  lane: 'long',
  idempotent: true,
  cluster: clusterOf,
  body: T.Object({ cluster_name: ClusterName, purge: T.Optional(T.Boolean({ description: 'Forget the cluster even if teardown fails' })) }),
  result: T.Null(),
  handler: async () => (await impl()).down,
})

export const autostop = defineOp({
  name: 'sky.autostop',
  route: '/autostop',
  tag: 'clusters',
  summary: 'Set or cancel (idle_minutes -1) autostop or autodown.',
  access: 'user',
  lane: 'short',
  idempotent: true,
  cluster: clusterOf,
  body: T.Object({
    cluster_name: ClusterName,
    idle_minutes: T.Integer({ minimum: -1 }),
    down: T.Optional(T.Boolean()),
    wait_for: T.Optional(WaitFor),
  }),
  result: T.Null(),
  handler: async () => (await impl()).autostop,
})
