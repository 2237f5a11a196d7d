// Planning and infra operations: optimize (dry runs and the launch prompt), check, gpus list.
import { optimizerContext, saveChecks } from '../../../core/clusters/enabled'
import { planFor, singleTask } from '../../../core/clusters/plan'
import { checkInfra } from '../../../core/infra/check'
import { loadConfig } from '../../../core/config'
import { featureFilter } from '../../../core/infra/features'
import { optimize as optimizePlan, renderPlan } from '../../../core/optimizer'
import { parseDag } from '../../../core/task/dag-parse'
import type { Task } from '../../../core/task/types'
import { toSkyError } from '../../../core/errors'
import { INFRA_NAMES, infraDisplayName, isLiveInfra } from '../../../core/infra/types'
import type { GpusResult, InfraCheck, OptimizeResult } from '../../../api/wire'
import { toWireCheck, toWireGpuList } from '../../present'
import type { OpContext } from '../types'

export async function optimize(c: OpContext, b: { task: string; cluster_name?: string; dryrun?: boolean }): Promise<OptimizeResult> {
  if (!b.dryrun) {
    const task = singleTask(b.task, 'sky launch')
    const existing = b.cluster_name ? await c.store.clusters.get(b.cluster_name) : undefined
    if (existing) return { cluster_status: existing.status, cluster_owner: existing.userName, plan_text: null }
    const plan = await planFor(c.store, task)
    return { cluster_status: null, cluster_owner: null, plan_text: renderPlan(plan) }
  }
  const dag = parseDag(b.task)
  const existing = b.cluster_name ? await c.store.clusters.get(b.cluster_name) : undefined
  const texts: string[] = []
  for (const task of dag.tasks) texts.push(await dryRunPlan(c, task, dag.tasks.length > 1 ? task.name : undefined))
  return { cluster_status: existing?.status ?? null, cluster_owner: existing?.userName ?? null, plan_text: texts.join('\n\n') }
}

/**
 * A dry run plans over the enabled infra; when nothing there fits, it plans over every infra in
 * the catalog instead and says so, so users can see what their YAML would need and cost.
 */
async function dryRunPlan(c: OpContext, task: Task, taskName: string | undefined): Promise<string> {
  try {
    return renderPlan(await planFor(c.store, task), { taskName })
  } catch (e) {
    if (toSkyError(e).code !== 'RESOURCES_UNAVAILABLE') throw e
    const ctx = await optimizerContext(c.store)
    // Catalog infra that is off (live infra have no catalog to plan over).
    const off = INFRA_NAMES.filter((n) => !ctx.enabled.infra.includes(n) && !isLiveInfra(n))
    const plan = optimizePlan({
      spec: task.resources,
      numNodes: task.numNodes,
      enabled: { infra: [...ctx.enabled.infra, ...off], regions: ctx.enabled.regions },
      liveNodes: ctx.liveNodes,
      unsupported: featureFilter(task),
    })
    const names = off.map(infraDisplayName).join(', ')
    return `Note: nothing enabled here fits; this plan includes ${names}, which ${off.length === 1 ? 'is' : 'are'} not enabled (sky check).\n${renderPlan(plan, { taskName })}`
  }
}

export async function check(c: OpContext, b: { infra?: string[] }): Promise<InfraCheck[]> {
  const fresh = await checkInfra({ only: b.infra?.length ? b.infra : undefined, config: loadConfig() })
  await saveChecks(c.store, fresh)
  // The size of a shared machine (this one, for local) rides along with its entry: the
  // dashboard's Infra page shows it without any cluster.
  const shared = (await optimizerContext(c.store)).liveNodes.filter((n) => n.shared)
  return fresh.map((x) => {
    const node = shared.find((n) => n.infra === x.infra)
    return toWireCheck(node ? { ...x, capacity: { cpus: node.cpus, memoryGb: node.memoryGb, gpus: node.gpus ?? null } } : x)
  })
}

export async function gpus(c: OpContext, b: { name?: string; infra?: string; all_regions?: boolean; all?: boolean }): Promise<GpusResult> {
  const ctx = await optimizerContext(c.store)
  const { listGpus, renderGpuList } = await import('../../../core/catalog/gpus')
  const list = listGpus({ filter: b.name, infra: b.infra, enabled: ctx.enabled.infra, allRegions: b.all_regions, all: b.all, liveNodes: ctx.liveNodes })
  return { list: toWireGpuList(list), text: renderGpuList(list) }
}
