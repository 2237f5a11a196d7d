// Cluster operations run in worker threads: launch, exec, stop, start, down, autostop.
import { exec as execJob, type ExecBody } from '../../../core/clusters/jobs'
import { launch as launchCluster, type LaunchBody } from '../../../core/clusters/launch'
import { downCluster, setAutostop, startCluster, stopCluster } from '../../../core/clusters/lifecycle'
import type { OpContext } from '../types'

const ctxOf = (c: OpContext) => ({ store: c.store, actor: c.user, signal: c.signal, log: c.log, write: c.write })

export const launch = (c: OpContext, body: LaunchBody) => launchCluster(ctxOf(c), body)
export const exec = (c: OpContext, body: ExecBody) => execJob(ctxOf(c), body)

export async function stop(c: OpContext, body: { cluster_name: string; purge?: boolean }) {
  await c.cancelClusterRequests(body.cluster_name, ['sky.stop', 'sky.down'])
  await stopCluster(c.store, body.cluster_name, c.user, c.log)
  return null
}

export async function down(c: OpContext, body: { cluster_name: string; purge?: boolean }) {
  await c.cancelClusterRequests(body.cluster_name, ['sky.stop', 'sky.down'])
  await downCluster(c.store, body.cluster_name, c.user, c.log, !!body.purge)
  return null
}

export interface StartBody {
  cluster_name: string
  idle_minutes_to_autostop?: number
  down?: boolean
  wait_for?: string
  retry_until_up?: boolean
  force?: boolean
}

export async function start(c: OpContext, body: StartBody) {
  await startCluster(c.store, body.cluster_name, c.user, c.signal, c.log, { force: !!body.force, retryUntilUp: !!body.retry_until_up })
  if (body.idle_minutes_to_autostop !== undefined) {
    await setAutostop(c.store, body.cluster_name, c.user, body.idle_minutes_to_autostop, !!body.down, c.signal, body.wait_for)
  }
  return null
}

export async function autostop(c: OpContext, body: { cluster_name: string; idle_minutes: number; down?: boolean; wait_for?: string }) {
  await setAutostop(c.store, body.cluster_name, c.user, body.idle_minutes, !!body.down, c.signal, body.wait_for)
  return null
}
