// Managed jobs (SkyPilot's sky.jobs.*): launch records a job for the controller in the API server,
// queue lists jobs, cancel stops them, logs streams a job's output. The SDK exports them as the
// `jobs` namespace: `jobs.launch({ task })`, as SkyPilot's `sky.jobs.launch`.
import { Type as T } from '@sinclair/typebox'
import { defineOp } from '../define'
import { JobIds, TaskYaml, Uploads } from '../schemas'
import { ManagedJobLogsResult, ManagedJobQueue, ManagedJobsCancelled, ManagedJobSubmitted } from '../wire'

const impl = () => import('../../server/ops/impl/managed-jobs')
const JobName = T.String({ minLength: 1, maxLength: 256 })

export const launch = defineOp({
  name: 'sky.jobs.launch',
  route: '/jobs/launch',
  tag: 'managed-jobs',
  summary: 'Record a managed job (one task or a pipeline); the controller in the API server runs and recovers it.',
  access: 'user',
  // Recording a job is quick; the job itself runs in the controller thread, not a worker.
  lane: 'short',
  // A re-run finds the job the first run recorded (keyed by request id).
  idempotent: true,
  body: T.Object({
    task: T.String({ ...TaskYaml, minLength: 1 }),
    name: T.Optional(JobName),
    entrypoint: T.Optional(T.String({ maxLength: 1000, description: 'The command line, for display' })),
    uploads: T.Optional(T.Array(T.Union([T.Null(), Uploads]), { maxItems: 100, description: 'Per task: what the client uploaded' })),
  }),
  result: ManagedJobSubmitted,
  handler: async () => (await impl()).launch,
})

export const queue = defineOp({
  name: 'sky.jobs.queue',
  route: '/jobs/queue',
  tag: 'managed-jobs',
  summary: "Managed jobs, newest first: the caller's, or everyone's.",
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({
    all_users: T.Optional(T.Boolean()),
    skip_finished: T.Optional(T.Boolean()),
    job_ids: T.Optional(JobIds),
    statuses: T.Optional(T.Array(T.String({ minLength: 1, maxLength: 40 }), { maxItems: 20, description: 'ManagedJobStatus names, any case' })),
    limit: T.Optional(T.Integer({ minimum: 0, description: 'At most this many jobs, newest first (0: all; default 50)' })),
  }),
  result: ManagedJobQueue,
  handler: async () => (await impl()).queue,
})

export const cancel = defineOp({
  name: 'sky.jobs.cancel',
  route: '/jobs/cancel',
  tag: 'managed-jobs',
  summary: "Cancel managed jobs by id, by name, all of the caller's, or everyone's (admins); rights are checked on every one first.",
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({
    job_ids: T.Optional(JobIds),
    name: T.Optional(JobName),
    all: T.Optional(T.Boolean()),
    all_users: T.Optional(T.Boolean()),
  }),
  result: ManagedJobsCancelled,
  handler: async () => (await impl()).cancel,
})

export const logs = defineOp({
  name: 'sky.jobs.logs',
  route: '/jobs/logs',
  tag: 'managed-jobs',
  summary: "Stream a managed job's output (or its controller's log) into the request log; the result is its status and exit code.",
  access: 'user',
  lane: 'short',
  idempotent: true,
  body: T.Object({
    job_id: T.Optional(T.Integer({ minimum: 1 })),
    name: T.Optional(JobName),
    follow: T.Optional(T.Boolean()),
    controller: T.Optional(T.Boolean()),
    tail: T.Optional(T.Integer({ minimum: 0 })),
  }),
  result: ManagedJobLogsResult,
  handler: async () => (await impl()).logs,
})
