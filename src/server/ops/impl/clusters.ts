// Cluster operations run in worker threads: launch, stop, start, down, autostop (exec is with the
// job operations, in jobs.ts). The request id is the cluster-lock owner and the idempotency key of
// the job a request submits.
import type { OpsContext } from '../../../core/clusters/context'
import { launch as launchCluster, type LaunchBody } from '../../../core/clusters/launch'
import { downCluster, setAutostop, startCluster, stopCluster } from '../../../core/clusters/lifecycle'
import type { OpContext } from '../types'

export const opsContext = (c: OpContext): OpsContext => ({ store: c.store, actor: c.user, signal: c.signal, log: c.log, write: c.write, owner: c.requestId })

export const launch = (c: OpContext, body: LaunchBody) => launchCluster(opsContext(c), body)

export async function stop(c: OpContext, body: { cluster_name: string }): Promise<null> {
  await c.cancelClusterRequests(body.cluster_name, ['sky.stop', 'sky.down'])
  await stopCluster(opsContext(c), body.cluster_name)
  return null
}

export async function down(c: OpContext, body: { cluster_name: string; purge?: boolean }): Promise<null> {
  await c.cancelClusterRequests(body.cluster_name, ['sky.stop', 'sky.down'])
  await downCluster(opsContext(c), body.cluster_name, { purge: !!body.purge })
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

export async function start(c: OpContext, body: StartBody): Promise<null> {
  const ctx = opsContext(c)
  await startCluster(ctx, body.cluster_name, { force: !!body.force, retryUntilUp: !!body.retry_until_up })
  if (body.idle_minutes_to_autostop !== undefined) await setAutostop(ctx, body.cluster_name, body.idle_minutes_to_autostop, !!body.down, body.wait_for)
  return null
}

export async function autostop(c: OpContext, body: { cluster_name: string; idle_minutes: number; down?: boolean; wait_for?: string }): Promise<null> {
  await setAutostop(opsContext(c), body.cluster_name, body.idle_minutes, !!body.down, body.wait_for)
  return null
}
