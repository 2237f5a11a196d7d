// Cluster and job operations. Each POST validates its body, submits a request and returns its id.
import { Elysia, t } from 'elysia'
import type { AppDeps } from '../context'
import { submitOp } from './submit'

const name = t.String({ minLength: 1, maxLength: 63, pattern: '^[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$', error: 'cluster_name must be 1-63 letters, digits, -, _ or ., starting and ending with a letter or digit' })
const task = t.String({ minLength: 0, maxLength: 4 * 1024 * 1024 })
const jobIds = t.Array(t.Integer({ minimum: 1 }), { maxItems: 10_000 })
const waitFor = t.Optional(t.Union([t.Literal('jobs_and_ssh'), t.Literal('jobs'), t.Literal('none')]))
/** Fields every operation body may carry: the client's config layers and --config (applied per request). */
const common = { override_skypilot_config: t.Optional(t.Record(t.String(), t.Unknown())) }
const uploadId = t.String({ pattern: '^[0-9a-f]{64}$' })
/** Manifests of the files the client uploaded (POST /upload/...) for this request. */
const uploads = t.Optional(t.Object({ workdir: t.Optional(uploadId), file_mounts: t.Optional(t.Record(t.String({ maxLength: 4096 }), uploadId)) }))

export function clusterRoutes(d: AppDeps) {
  const op =
    (opName: string) =>
    ({ body, request, set }: { body: unknown; request: Request; set: { headers: Record<string, unknown> } }) =>
      submitOp(d, request, opName, body as Record<string, unknown>, set)
  return new Elysia()
    .post('/status', op('sky.status'), {
      body: t.Object({
        ...common,
        cluster_names: t.Optional(t.Array(t.String({ minLength: 1, maxLength: 256 }), { maxItems: 10_000 })),
        all_users: t.Optional(t.Boolean()),
        refresh: t.Optional(t.Boolean()),
      }),
    })
    .post('/launch', op('sky.launch'), {
      body: t.Object({
        ...common,
        task,
        cluster_name: name,
        retry_until_up: t.Optional(t.Boolean()),
        idle_minutes_to_autostop: t.Optional(t.Union([t.Integer({ minimum: -1 }), t.Null()])),
        autostop_down: t.Optional(t.Boolean()),
        down: t.Optional(t.Boolean()),
        no_setup: t.Optional(t.Boolean()),
        detach_run: t.Optional(t.Boolean()),
        wait_for: waitFor,
        quiet_optimizer: t.Optional(t.Boolean()),
        command: t.Optional(t.String({ maxLength: 4096 })),
        uploads,
      }),
    })
    .post('/exec', op('sky.exec'), { body: t.Object({ ...common, task, cluster_name: name, detach_run: t.Optional(t.Boolean()), uploads }) })
    .post('/start', op('sky.start'), {
      body: t.Object({
        ...common,
        cluster_name: name,
        idle_minutes_to_autostop: t.Optional(t.Integer({ minimum: -1 })),
        down: t.Optional(t.Boolean()),
        wait_for: waitFor,
        retry_until_up: t.Optional(t.Boolean()),
        force: t.Optional(t.Boolean()),
      }),
    })
    .post('/stop', op('sky.stop'), { body: t.Object({ ...common, cluster_name: name, purge: t.Optional(t.Boolean()) }) })
    .post('/down', op('sky.down'), { body: t.Object({ ...common, cluster_name: name, purge: t.Optional(t.Boolean()) }) })
    .post('/autostop', op('sky.autostop'), {
      body: t.Object({
        ...common,
        cluster_name: name,
        idle_minutes: t.Integer({ minimum: -1 }),
        down: t.Optional(t.Boolean()),
        wait_for: waitFor,
      }),
    })
    .post('/queue', op('sky.queue'), { body: t.Object({ ...common, cluster_name: name, all_users: t.Optional(t.Boolean()), skip_finished: t.Optional(t.Boolean()) }) })
    .post('/cancel', op('sky.cancel'), {
      body: t.Object({ ...common, cluster_name: name, job_ids: t.Optional(jobIds), all: t.Optional(t.Boolean()), all_users: t.Optional(t.Boolean()) }),
    })
    .post('/logs', op('sky.logs'), {
      body: t.Object({ ...common, cluster_name: name, job_id: t.Optional(t.Integer({ minimum: 1 })), follow: t.Optional(t.Boolean()), tail: t.Optional(t.Integer({ minimum: 0 })) }),
    })
    .post('/job_status', op('sky.job_status'), { body: t.Object({ ...common, cluster_name: name, job_ids: t.Optional(jobIds) }) })
    .post('/optimize', op('sky.optimize'), { body: t.Object({ ...common, task, cluster_name: t.Optional(name), dryrun: t.Optional(t.Boolean()) }) })
    .post('/check', op('sky.check'), { body: t.Object({ ...common, infra: t.Optional(t.Array(t.String({ minLength: 1 }))) }) })
    .post('/ssh_node_pools/deploy', op('sky.ssh_up'), { body: t.Object({ ...common, infra: t.Optional(t.String({ minLength: 1 })) }) })
    .post('/ssh_node_pools/down', op('sky.ssh_down'), { body: t.Object({ ...common, infra: t.Optional(t.String({ minLength: 1 })) }) })
    .post('/list_accelerators', op('sky.gpus'), {
      body: t.Object({ ...common, name: t.Optional(t.String()), infra: t.Optional(t.String()), all_regions: t.Optional(t.Boolean()), all: t.Optional(t.Boolean()) }),
    })
}
