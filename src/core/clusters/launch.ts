// `sky launch` = ensureCluster (idempotent, failover) + job submission keyed by the request id.
// A launch re-run after a crash or a replica's death resumes: the cluster is found (or its
// interrupted provisioning resumed), the job it already submitted is found by its key (no second
// sync, setup or run), and its log is followed again. Autostop is armed after the job is queued,
// so `--down` never tears the cluster down before the job ran; an attached `--down` launch takes
// the cluster down itself once the job ended.
import type { BlockedResource } from '../optimizer'
import type { OpsContext } from './context'
import { endpointMap } from './bringup'
import { ensureCluster } from './ensure'
import { checkSecretsSupplied, jobByKey, runJob, type JobOutcome } from './jobs'
import { taskHooks } from './hooks'
import { downCluster, setAutostop } from './lifecycle'
import { singleTask } from './plan'
import { provisionerFor } from '../provision/registry'
import type { ClusterRecord } from '../state/clusters'
import type { Resources, Task } from '../task/types'
import { handleOf, launchedOf, refOf } from './record'
import { checkSyncable, syncFiles } from './sync'
import type { UploadRefs } from '../uploads/sources'

export interface LaunchBody {
  task: string
  cluster_name: string
  retry_until_up?: boolean
  idle_minutes_to_autostop?: number | null
  autostop_down?: boolean
  down?: boolean
  no_setup?: boolean
  detach_run?: boolean
  /** Autostop activity rule: jobs_and_ssh, jobs or none (`--wait-for`). */
  wait_for?: string
  /** The client already printed the optimizer's plan (before its confirmation prompt). */
  quiet_optimizer?: boolean
  command?: string
  /** The uploaded workdir and file mounts (a deployed server syncs only these). */
  uploads?: UploadRefs
}

export interface LaunchResult extends Partial<Omit<JobOutcome, 'job_id'>> {
  cluster_name: string
  job_id: number | null
}

export { planFor, singleTask } from './plan'

/** `text` with every (non-trivial) value replaced by <redacted>, longest first. */
export function redactValues(text: string, values: (string | null | undefined)[]): string {
  let out = text
  for (const v of values.filter((x): x is string => !!x && x.length >= 3).sort((a, b) => b.length - a.length)) out = out.split(v).join('<redacted>')
  return out
}

export async function launch(ctx: OpsContext, body: LaunchBody, o: { blocked?: BlockedResource[] } = {}): Promise<LaunchResult> {
  const task = singleTask(body.task, 'sky launch')
  if (task.run || task.setup) checkSecretsSupplied(task)
  const name = body.cluster_name
  // Sources and destinations are checked before anything is provisioned (where they may go
  // depends on the infra: no absolute destinations on local nodes).
  const files = { fileMounts: true, uploads: body.uploads, userId: ctx.actor.id }
  await checkSyncable(task, files)
  const checkInfra = (infra: string) => checkSyncable(task, { ...files, infra })
  // The command line is kept on the cluster record: never with a secret's value in it.
  const command = body.command ? redactValues(body.command, Object.values(task.secrets)) : null
  const ensured = await ensureCluster(ctx, { name, task, retryUntilUp: body.retry_until_up, command, purpose: 'sky.launch', blocked: o.blocked, quietPlan: body.quiet_optimizer, checkInfra })
  let c = ensured.cluster
  const handle = handleOf(c)
  const request = ensured.request
  c = await recordPortsAndHooks(ctx, c, task, request)
  const prior = task.run || task.setup ? await jobByKey(handle, ctx.owner) : { jobId: null }
  if (prior.jobId === null) await syncFiles(handle, task, ctx.log, files)

  const auto = body.idle_minutes_to_autostop ?? (request?.autostop?.enabled ? request.autostop.idleMinutes : null)
  const autoDown = body.down || !!body.autostop_down || !!request?.autostop?.down
  const attachedDown = !!body.down && (auto === null || auto === undefined) && !body.detach_run
  const waitFor = body.wait_for ?? request?.autostop?.waitFor
  const arm = async () => {
    if (auto !== null && auto !== undefined) await setAutostop(ctx, name, auto, autoDown, waitFor)
    // Attached --down: this request tears the cluster down when the job ends; the agent's
    // autodown one idle minute later is the safety net should the request not get there.
    else if (body.down) await setAutostop(ctx, name, attachedDown ? 1 : 0, true, waitFor)
  }

  if (!task.run && (!task.setup || body.no_setup)) {
    await arm()
    return { cluster_name: name, job_id: null }
  }
  const detach = !!body.detach_run
  // Autostop is armed once the job is queued: an idle timer of 0 cannot fire before it exists.
  const outcome = await runJob(ctx, c, task, { setup: !body.no_setup, detach, request, afterSubmit: arm })
  if (attachedDown) {
    // The job ended and this request is still here: release the cluster now rather than at the
    // agent's next idle check (which stays armed for a detached client or a crash).
    ctx.log(`⚙︎ Tearing down cluster '${name}' (--down).`)
    await downCluster(ctx, name)
  }
  return { cluster_name: name, ...outcome }
}

/**
 * What this launch adds to the record: the ports its task exposes (`sky status --endpoints`;
 * opened on the provider when the cluster already existed without them) and its lifecycle hooks
 * (which replace the cluster's; run before stop/down and by autostop).
 */
async function recordPortsAndHooks(ctx: OpsContext, c: ClusterRecord, task: Task, request: Resources | undefined): Promise<ClusterRecord> {
  const known = (c.resources.ports as string[] | undefined) ?? []
  const launched = launchedOf(c).ports
  const ports = [...new Set([...known, ...launched, ...(request?.ports ?? [])])]
  const hooks = taskHooks(task, request)
  if (ports.length === known.length && !hooks.length) return c
  const fresh = ports.filter((p) => !launched.includes(p) && !known.includes(p))
  let endpoints: Record<string, string> | undefined
  if (fresh.length) {
    const p = await provisionerFor(launchedOf(c).infra)
    if (p.capabilities.ports) {
      await p.openPorts(refOf(c), fresh, { signal: ctx.signal, log: ctx.log })
      endpoints = await endpointMap(p, refOf(c), ports)
    }
  }
  const next = { ...c, resources: { ...c.resources, ...(ports.length ? { ports } : {}), ...(hooks.length ? { hooks } : {}), ...(endpoints ? { endpoints } : {}) } }
  await ctx.store.clusters.upsert(next)
  return next
}
