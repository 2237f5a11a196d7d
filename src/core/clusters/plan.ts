// From a task to a plan, and from the chosen candidate to the launched resources the provisioner
// gets (and the cluster row keeps).
import { ValidationError } from '../errors'
import { optimize, type BlockedResource, type Candidate, type Plan } from '../optimizer'
import { descriptor } from '../provision/registry'
import type { LaunchedResources } from '../provision/types'
import type { Store } from '../state/store'
import { parseDag } from '../task/dag-parse'
import type { Task } from '../task/types'
import { featureFilter } from '../infra/features'
import { optimizerContext } from './enabled'

export function singleTask(yaml: string, what: string): Task {
  const dag = parseDag(yaml)
  if (dag.tasks.length !== 1) {
    throw new ValidationError([{ path: 'task', message: `${what} runs one task, and this YAML has ${dag.tasks.length}; use sky jobs launch for pipelines` }])
  }
  return dag.tasks[0]!
}

/** The optimizer's plan for a task (used by `--dryrun`, the confirmation prompt and launch). */
export async function planFor(store: Store, task: Task, blocked: BlockedResource[] = []): Promise<Plan> {
  const ctx = await optimizerContext(store)
  return optimize({ spec: task.resources, numNodes: task.numNodes, enabled: ctx.enabled, liveNodes: ctx.liveNodes, blocked, unsupported: featureFilter(task) })
}

/** The candidate made concrete for one attempt (one zone, or none on zone-less infra). */
export function launchedFrom(c: Candidate, numNodes: number, zone: string | null, taskConfig?: Record<string, unknown>): LaunchedResources {
  const r = c.request
  const image = typeof r.imageId === 'string' ? r.imageId : r.imageId ? (r.imageId[c.region] ?? null) : null
  const providerConfig = descriptor(c.infra)?.launchConfig?.(c.region, taskConfig)
  return {
    ...(providerConfig ? { providerConfig } : {}),
    infra: c.infra,
    region: c.region,
    zone,
    instanceType: c.instanceType,
    useSpot: c.useSpot,
    numNodes,
    cpus: c.vcpus,
    memoryGb: c.memoryGb,
    accelerators: c.gpu ? { name: c.gpu.name, count: c.gpu.count } : null,
    diskSizeGb: r.diskSize ?? null,
    diskTier: r.diskTier ?? null,
    networkTier: r.networkTier ?? null,
    imageId: image,
    ports: r.ports ?? [],
    labels: r.labels ?? {},
    hosts: c.nodes ?? null,
    hourlyPrice: c.hourlyPrice,
  }
}
