// One function per server operation. Each returns the request id; finish it with
// client.get / client.streamAndGet.
import type { SkyClient } from './client'
import type { UploadRefs } from './uploads'

export interface StatusOptions {
  clusterNames?: string[]
  allUsers?: boolean
  refresh?: boolean
}

export const status = (c: SkyClient, o: StatusOptions = {}) =>
  c.submit('/status', { cluster_names: o.clusterNames, all_users: o.allUsers, refresh: o.refresh })

export interface LaunchOptions {
  clusterName: string
  retryUntilUp?: boolean
  idleMinutesToAutostop?: number | null
  autostopDown?: boolean
  down?: boolean
  noSetup?: boolean
  detachRun?: boolean
  /** Autostop activity: jobs_and_ssh, jobs or none. */
  waitFor?: string
  /** The client already showed the optimizer's plan; the server does not print it again. */
  quietOptimizer?: boolean
  command?: string
  /** Uploaded workdir and file mounts (uploadTaskFiles); a deployed server needs them. */
  uploads?: UploadRefs
}

/** `task` is SkyPilot-format task YAML (serializeDag of a parsed task). */
export const launch = (c: SkyClient, task: string, o: LaunchOptions) =>
  c.submit('/launch', {
    task,
    cluster_name: o.clusterName,
    retry_until_up: o.retryUntilUp,
    idle_minutes_to_autostop: o.idleMinutesToAutostop,
    autostop_down: o.autostopDown,
    down: o.down,
    no_setup: o.noSetup,
    detach_run: o.detachRun,
    wait_for: o.waitFor,
    quiet_optimizer: o.quietOptimizer,
    command: o.command,
    uploads: o.uploads,
  })

export const exec = (c: SkyClient, task: string, clusterName: string, o: { detachRun?: boolean; uploads?: UploadRefs } = {}) =>
  c.submit('/exec', { task, cluster_name: clusterName, detach_run: o.detachRun, uploads: o.uploads })

export interface StartOptions {
  idleMinutesToAutostop?: number
  down?: boolean
  waitFor?: string
  retryUntilUp?: boolean
  /** Re-run runtime setup even if the cluster is UP. */
  force?: boolean
}

export const start = (c: SkyClient, clusterName: string, o: StartOptions = {}) =>
  c.submit('/start', {
    cluster_name: clusterName,
    idle_minutes_to_autostop: o.idleMinutesToAutostop,
    down: o.down,
    wait_for: o.waitFor,
    retry_until_up: o.retryUntilUp,
    force: o.force,
  })
export const stop = (c: SkyClient, clusterName: string, o: { purge?: boolean } = {}) => c.submit('/stop', { cluster_name: clusterName, purge: o.purge })
export const down = (c: SkyClient, clusterName: string, o: { purge?: boolean } = {}) => c.submit('/down', { cluster_name: clusterName, purge: o.purge })
export const autostop = (c: SkyClient, clusterName: string, idleMinutes: number, o: { down?: boolean; waitFor?: string } = {}) =>
  c.submit('/autostop', { cluster_name: clusterName, idle_minutes: idleMinutes, down: o.down, wait_for: o.waitFor })

export const queue = (c: SkyClient, clusterName: string, o: { allUsers?: boolean; skipFinished?: boolean } = {}) =>
  c.submit('/queue', { cluster_name: clusterName, all_users: o.allUsers, skip_finished: o.skipFinished })
export const cancel = (c: SkyClient, clusterName: string, o: { jobIds?: number[]; all?: boolean; allUsers?: boolean } = {}) =>
  c.submit('/cancel', { cluster_name: clusterName, job_ids: o.jobIds, all: o.all, all_users: o.allUsers })
export const tailLogs = (c: SkyClient, clusterName: string, o: { jobId?: number; follow?: boolean; tail?: number } = {}) =>
  c.submit('/logs', { cluster_name: clusterName, job_id: o.jobId, follow: o.follow, tail: o.tail })
export const jobStatus = (c: SkyClient, clusterName: string, jobIds?: number[]) => c.submit('/job_status', { cluster_name: clusterName, job_ids: jobIds })

export const optimize = (c: SkyClient, task: string, clusterName?: string, o: { dryrun?: boolean } = {}) =>
  c.submit('/optimize', { task, cluster_name: clusterName, dryrun: o.dryrun })
export const check = (c: SkyClient, infra?: string[]) => c.submit('/check', { infra })
export const listAccelerators = (c: SkyClient, o: { name?: string; infra?: string; allRegions?: boolean; all?: boolean } = {}) =>
  c.submit('/list_accelerators', { name: o.name, infra: o.infra, all_regions: o.allRegions, all: o.all })

export const sshUp = (c: SkyClient, infra?: string) => c.submit('/ssh_node_pools/deploy', { infra })
export const sshDown = (c: SkyClient, infra?: string) => c.submit('/ssh_node_pools/down', { infra })
