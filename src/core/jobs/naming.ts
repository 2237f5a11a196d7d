// Names SkyPilot users see for managed jobs: the job and task names a DAG gets, each task's
// cluster name, and the REQUESTED column (sky/backends/backend_utils.py::get_task_resources_str).
import type { Dag, Task } from '../task/types'

/** Name of a job submitted from an inline command without -n (SkyPilot names that task so). */
export const COMMAND_TASK_NAME = 'sky-cmd'

const CLUSTER_PREFIX_MAX = 25

/** Fill in the job name and missing task names the way SkyPilot infers them. */
export function nameDag(dag: Dag, override?: string): Dag {
  const tasks = dag.tasks.map((t) => ({ ...t }))
  let name = override ?? dag.name
  if (tasks.length === 1) {
    if (name !== undefined) tasks[0]!.name = name
    else name = tasks[0]!.name
  }
  name ??= tasks[0]?.name ?? COMMAND_TASK_NAME
  tasks.forEach((t, i) => {
    t.name ??= tasks.length === 1 ? name : `${name}-${i}`
  })
  return { ...dag, name, tasks }
}

/** `<task name, cleaned and cut to 25 characters>-<job id>`: the cluster a task runs on. */
export function taskClusterName(taskName: string | null | undefined, jobId: number): string {
  let base = (taskName ?? '').toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-')
  base = base.slice(0, CLUSTER_PREFIX_MAX).replace(/^[^a-z0-9]+/, '').replace(/[^a-z0-9]+$/, '')
  return `${base || 'sky-managed'}-${jobId}`
}

function cpuDemand(c: { value: number; orMore: boolean } | undefined): string {
  if (!c) return '1+'
  return `${c.value}${c.orMore ? '+' : ''}`
}

/** The REQUESTED column: `1x[CPU:1+]`, `2x[H100:8][Spot]`, `1x[CPU:4][On-demand|Spot]`. */
export function requestedResources(task: Task): string {
  const cands = task.resources.candidates.length ? task.resources.candidates : [{}]
  const accels = new Set<string>()
  const markets = new Set<string>()
  let minCpus = Infinity
  let cpuText = '1+'
  for (const r of cands) {
    markets.add(r.useSpot ? 'Spot' : 'On-demand')
    const text = cpuDemand(r.cpus)
    const v = r.cpus ? r.cpus.value : 1
    if (v < minCpus) {
      minCpus = v
      cpuText = text
    }
    if (r.accelerator) accels.add(`${r.accelerator.name}:${r.accelerator.count}`)
  }
  if (cands.length > 1) cpuText = `${minCpus}+`
  const what = accels.size ? [...accels].join(', ') : `CPU:${cpuText}`
  const spot = markets.has('Spot') ? `[${markets.size > 1 ? 'Spot|On-demand' : 'Spot'}]` : ''
  return `${task.numNodes}x[${what}]${spot}`
}
