// Managed-jobs operations, each defined once: request name, route, lane, whether a restarted
// server may re-run it, and its body schema. routes/jobs.ts mounts them; handlers.ts loads their
// handlers (impl/managed-jobs.ts) in worker threads; src/sdk/jobs.ts calls them.
import { t, type TSchema } from 'elysia'
import type { OpMeta } from './types'

export interface OpDef extends OpMeta {
  path: string
  body: TSchema
}

/** The client's config layers, sent with every request (applied per request; jobs keep them). */
const common = { override_skypilot_config: t.Optional(t.Record(t.String(), t.Unknown())) }
const jobIds = t.Array(t.Integer({ minimum: 1 }), { maxItems: 10_000 })
const jobName = t.String({ minLength: 1, maxLength: 256 })

export const JOBS_OPS: OpDef[] = [
  {
    name: 'sky.jobs.launch',
    path: '/jobs/launch',
    // Recording a job is quick; the job itself runs in the controller thread, not a worker.
    lane: 'short',
    // A re-run finds the job the first run recorded (keyed by request id).
    idempotent: true,
    body: t.Object({
      ...common,
      task: t.String({ minLength: 1, maxLength: 4 * 1024 * 1024 }),
      name: t.Optional(jobName),
      entrypoint: t.Optional(t.String({ maxLength: 1000 })),
      /** Per task: the workdir and file mounts the client uploaded (POST /upload). */
      uploads: t.Optional(
        t.Array(t.Union([t.Null(), t.Object({ workdir: t.Optional(t.String()), file_mounts: t.Optional(t.Record(t.String(), t.String())) })]), { maxItems: 100 }),
      ),
    }),
  },
  {
    name: 'sky.jobs.queue',
    path: '/jobs/queue',
    lane: 'short',
    idempotent: true,
    body: t.Object({
      ...common,
      all_users: t.Optional(t.Boolean()),
      skip_finished: t.Optional(t.Boolean()),
      job_ids: t.Optional(jobIds),
      statuses: t.Optional(t.Array(t.String({ minLength: 1 }))),
      /** Newest jobs first, at most this many (0 = all). Default 50. */
      limit: t.Optional(t.Integer({ minimum: 0 })),
    }),
  },
  {
    name: 'sky.jobs.cancel',
    path: '/jobs/cancel',
    lane: 'short',
    idempotent: true,
    body: t.Object({
      ...common,
      job_ids: t.Optional(jobIds),
      name: t.Optional(jobName),
      all: t.Optional(t.Boolean()),
      all_users: t.Optional(t.Boolean()),
    }),
  },
  {
    name: 'sky.jobs.logs',
    path: '/jobs/logs',
    lane: 'short',
    idempotent: true,
    body: t.Object({
      ...common,
      job_id: t.Optional(t.Integer({ minimum: 1 })),
      name: t.Optional(jobName),
      follow: t.Optional(t.Boolean()),
      controller: t.Optional(t.Boolean()),
      tail: t.Optional(t.Integer({ minimum: 0 })),
    }),
  },
]
