// Storage records and core results as the wire shows them (src/api/wire.ts): snake_case names,
// times in seconds, and nothing that stays on the server (handles, node connect info, SSH
// passwords). Every handler that returns stored data goes through here.
import { seconds, type Cluster, type ClusterJob, type GpuList, type InfraCheck, type JobStatus, type ManagedJob } from '../api/wire'
import type { JobInfo, NodeCapacity } from '../core/agent/types'
import type { GpuList as CoreGpuList } from '../core/catalog/gpus'
import type { InfraCheck as CoreInfraCheck } from '../core/infra/check'
import { infraLabel } from '../core/infra/types'
import type { ClusterRecord } from '../core/state/clusters'
import type { JobWithTasks } from '../core/state/managed-jobs'

interface StoredResources {
  label?: string
  capacity?: NodeCapacity
  instanceType?: string | null
  ports?: string[]
  endpoints?: Record<string, string>
}

export function toWireCluster(c: ClusterRecord): Cluster {
  const r = c.resources as StoredResources
  const cap = r.capacity
  const headIp = (c.handle as { headIp?: string } | null)?.headIp ?? null
  return {
    name: c.name,
    status: c.status,
    launched_at: Math.floor(c.launchedAt / 1000),
    status_updated_at: Math.floor(c.statusUpdatedAt / 1000),
    last_use: c.lastCommand,
    last_activity_time: seconds(c.lastUse),
    last_event: c.statusReason ?? null,
    autostop: c.autostopMinutes,
    to_down: c.autostopDown,
    user_hash: c.userId,
    user_name: c.userName,
    workspace: c.workspace,
    cluster_hash: c.clusterHash,
    nodes: c.numNodes,
    cloud: c.infra.cloud,
    region: c.infra.region ?? null,
    zone: c.infra.zone ?? null,
    infra: infraLabel(c.infra.cloud, c.infra.region, c.infra.zone),
    resources_str: `${c.numNodes}x(${r.label ?? '-'})`,
    instance_type: r.instanceType ?? null,
    cpus: cap?.cpus ?? null,
    memory: cap?.memoryGb ?? null,
    accelerators: cap?.gpus ? { [cap.gpus.name]: cap.gpus.count } : null,
    ports: r.ports ?? [],
    head_ip: headIp,
    ...(r.endpoints && Object.keys(r.endpoints).length ? { endpoints: r.endpoints } : {}),
  }
}

export function toWireJob(j: JobInfo): ClusterJob {
  return {
    job_id: j.id,
    job_name: j.name,
    username: j.user,
    user_hash: j.userHash,
    submitted_at: seconds(j.submittedAt),
    start_at: seconds(j.startedAt),
    end_at: seconds(j.endedAt),
    resources: j.resources,
    status: j.status as JobStatus,
    log_path: j.logPath,
    num_nodes: j.numNodes,
    priority: j.priority,
    exit_code: j.exitCode,
    failure: j.failure,
  }
}

/** A managed job as `sky jobs queue -o json` lists it: one record per task (SkyPilot's names). */
export function toWireManagedJob(j: JobWithTasks, now = Date.now()): ManagedJob[] {
  return j.tasks.map((t) => ({
    job_id: j.jobId,
    task_id: t.taskId,
    job_name: j.name,
    task_name: t.taskName,
    user_name: j.userName,
    user_hash: j.userId,
    workspace: j.workspace,
    resources: t.resources,
    status: t.status,
    schedule_state: j.scheduleState,
    submitted_at: t.submittedAt / 1000,
    start_at: seconds(t.startAt),
    end_at: seconds(t.endAt),
    last_recovered_at: seconds(t.lastRecoveredAt),
    recovery_count: t.recoveryCount,
    job_duration: (t.jobDurationMs + (t.runStartedAt ? now - t.runStartedAt : 0)) / 1000,
    failure_reason: t.failureReason,
    cluster_name: t.clusterName,
    cloud: t.infra?.cloud ?? null,
    region: t.infra?.region ?? null,
    zone: t.infra?.zone ?? null,
    priority: j.priority,
    num_tasks: j.numTasks,
  }))
}

export function toWireCheck(c: CoreInfraCheck & { capacity?: NodeCapacity }): InfraCheck {
  const { capacity, ...rest } = c
  return capacity ? { ...rest, capacity: { cpus: capacity.cpus, memory_gb: capacity.memoryGb, gpus: capacity.gpus ?? null } } : rest
}

export function toWireGpuList(l: CoreGpuList): GpuList {
  return {
    common: l.common,
    other: l.other,
    live: l.live,
    all_regions: l.allRegions,
    ...(l.detail
      ? {
          detail: l.detail.map((d) => ({
            gpu: d.gpu,
            qty: d.qty,
            cloud: d.cloud,
            instance_type: d.instanceType,
            device_memory_gb: d.deviceMemoryGb,
            ...(d.vcpus !== undefined ? { vcpus: d.vcpus } : {}),
            ...(d.hostMemoryGb !== undefined ? { host_memory_gb: d.hostMemoryGb } : {}),
            price: d.price,
            ...(d.spotPrice !== undefined ? { spot_price: d.spotPrice } : {}),
            region: d.region,
          })),
        }
      : {}),
  }
}
