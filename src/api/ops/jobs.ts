// Jobs on a cluster: sky exec, queue, cancel, logs, job status.
import { Type as T } from '@sinclair/typebox'
import { defineOp } from '../define'
import { ClusterName, JobIds, TaskYaml, Uploads, clusterOf } from '../schemas'
import { ClusterJob, JobStatus, JobSubmitted, LogsResult } from '../wire'

const impl = () => import('../../server/ops/impl/jobs')

export const exec = defineOp({
  name: 'sky.exec',
  route: '/exec',
  tag: 'jobs',
  summary: "Run a task's run commands on an existing cluster (workdir synced, no setup).",
  access: 'user',
  lane: 'long',
  // Safe to re-run: the job it submits carries the request id, which the agent deduplicates.
  idempotent: true,
  cluster: clusterOf,
  body: T.Object({ task: TaskYaml, cluster_name: ClusterName, detach_run: T.Optional(T.Boolean()), uploads: T.Optional(Uploads) }),
  result: JobSubmitted,
  handler: async () => (await impl()).exec,
})

export const queue = defineOp({
  name: 'sky.queue',
  route: '/queue',
  tag: 'jobs',
  summary: "A cluster's job queue (the caller's jobs, or everyone's).",
  access: 'user',
  lane: 'short',
  idempotent: true,
  cluster: clusterOf,
  body: T.Object({ cluster_name: ClusterName, all_users: T.Optional(T.Boolean()), skip_finished: T.Optional(T.Boolean()) }),
  result: T.Array(ClusterJob),
  handler: async () => (await impl()).queue,
})

export const cancel = defineOp({
  name: 'sky.cancel',
  route: '/cancel',
  tag: 'jobs',
  summary: 'Cancel jobs on a cluster (by id, or all of the caller\'s, or everyone\'s).',
  access: 'user',
  lane: 'short',
  idempotent: true,
  cluster: clusterOf,
  body: T.Object({ cluster_name: ClusterName, job_ids: T.Optional(JobIds), all: T.Optional(T.Boolean()), all_users: T.Optional(T.Boolean()) }),
  result: T.Array(T.Integer(), { description: 'Ids of the jobs cancelled' }),
  handler: async () => (await impl()).cancel,
})

export const logs = defineOp({
  name: 'sky.logs',
  route: '/logs',
  tag: 'jobs',
  summary: "A job's log (the latest job by default), streamed as this request's log.",
  access: 'user',
  lane: 'short',
  idempotent: true,
  // Following a log is only useful while someone reads it: ends when its stream's client goes.
  cancelOnDisconnect: true,
  cluster: clusterOf,
  body: T.Object({
    cluster_name: ClusterName,
    job_id: T.Optional(T.Integer({ minimum: 1 })),
    follow: T.Optional(T.Boolean({ description: 'Follow until the job ends (default true)' })),
    tail: T.Optional(T.Integer({ minimum: 0 })),
  }),
  result: LogsResult,
  handler: async () => (await impl()).logs,
})

export const jobStatus = defineOp({
  name: 'sky.job_status',
  route: '/job_status',
  tag: 'jobs',
  summary: 'Statuses of jobs by id (the latest job by default).',
  access: 'user',
  lane: 'short',
  idempotent: true,
  cluster: clusterOf,
  body: T.Object({ cluster_name: ClusterName, job_ids: T.Optional(JobIds) }),
  result: T.Record(T.String(), T.Union([JobStatus, T.Null()]), { description: 'Job id → status (null: no such job)' }),
  handler: async () => (await impl()).jobStatus,
})
