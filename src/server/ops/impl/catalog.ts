// Planning and infra operations: optimize (dry runs and the launch prompt), check, gpus list.
import { optimizerContext, saveChecks } from '../../../core/clusters/enabled'
import { planFor, singleTask } from '../../../core/clusters/launch'
import { checkInfra } from '../../../core/infra/check'
import { renderPlan } from '../../../core/optimizer'
import type { OpContext } from '../types'

export async function optimize(c: OpContext, b: { task: string; cluster_name?: string }) {
  const task = singleTask(b.task, 'sky launch')
  const existing = b.cluster_name ? await c.store.clusters.get(b.cluster_name) : undefined
  if (existing) return { cluster_status: existing.status, cluster_owner: existing.userName, plan_text: null }
  const plan = await planFor(c.store, task)
  return { cluster_status: null, plan_text: renderPlan(plan), chosen: plan.chosen }
}

export async function check(c: OpContext, b: { infra?: string[] }) {
  const fresh = checkInfra({ only: b.infra?.length ? b.infra : undefined })
  await saveChecks(c.store, fresh)
  return fresh
}

export async function gpus(c: OpContext, b: { name?: string; infra?: string; all_regions?: boolean; all?: boolean }) {
  const ctx = await optimizerContext(c.store)
  const { listGpus, renderGpuList } = await import('../../../core/catalog/gpus')
  const list = listGpus({ filter: b.name, infra: b.infra, enabled: ctx.enabled.infra, allRegions: b.all_regions, all: b.all, liveNodes: ctx.liveNodes })
  return { list, text: renderGpuList(list) }
}
