// What a job rank sees: SkyPilot's injected environment variables (sky/skylet/constants.py),
// its working directory, and the prefix put in front of each of its log lines.
import { existsSync } from 'node:fs'
import { isAbsolute, join } from 'node:path'
import { infraDisplayName } from '../infra/types'
import type { JobRow } from './job-store'
import type { ClusterSpec, NodeSpec, RankAlloc } from './types'

const pad = (n: number, w = 2) => String(n).padStart(w, '0')

/** `sky-<YYYY-MM-DD-HH-MM-SS-micro>_<cluster>_<job_id>`, the default SKYPILOT_TASK_ID. */
export function makeTaskId(cluster: string, jobId: number, at: number): string {
  const d = new Date(at)
  const micro = pad(d.getMilliseconds(), 3) + pad(Math.floor(Math.random() * 1000), 3)
  const ts = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}-${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}-${micro}`
  return `sky-${ts}_${cluster}_${jobId}`
}

/** SKYPILOT_CLUSTER_INFO, spelled the way Python's json.dumps writes it; the cloud as SkyPilot names it (AWS, GCP, Kubernetes, SSH; Local here). */
export function clusterInfoJson(spec: ClusterSpec): string {
  const info = { cluster_name: spec.name, cloud: spec.cloud === null ? null : infraDisplayName(spec.cloud), region: spec.region, zone: spec.zone }
  return `{${Object.entries(info)
    .map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`)
    .join(', ')}}`
}

/** The directory commands run in: the task's workdir, else `<home>/sky_workdir` if synced, else home. */
export function rankCwd(node: NodeSpec, workdir: string | null, checkLocal: boolean): string {
  if (workdir) return isAbsolute(workdir) ? workdir : join(node.home, workdir)
  const synced = join(node.home, 'sky_workdir')
  if (!checkLocal) return synced // remote: the wrapper falls back to home when it is absent
  return existsSync(synced) ? synced : node.home
}

export interface RankEnvInput {
  spec: ClusterSpec
  job: JobRow
  alloc: RankAlloc[]
  /** Job rank. */
  rank: number
  phase: 'setup' | 'run'
}

function gpusPerNode(job: JobRow): string {
  const g = job.demand.gpus
  return String(g ? Math.ceil(g.count) : 0)
}

/** SkyPilot's variables plus the user's envs and secrets for one rank of one phase. */
export function rankEnv({ spec, job, alloc, rank, phase }: RankEnvInput): Record<string, string> {
  const a = alloc[rank]!
  const env: Record<string, string> = { ...job.commands.envs, ...job.commands.secrets }
  env.SKYPILOT_NUM_NODES = String(job.numNodes)
  env.SKYPILOT_TASK_ID = job.taskId
  env.SKYPILOT_INTERNAL_JOB_ID = String(job.id)
  env.SKYPILOT_CLUSTER_INFO = clusterInfoJson(spec)
  env.SKYPILOT_USER = job.user
  if (phase === 'run') {
    env.SKYPILOT_NODE_RANK = String(rank)
    env.SKYPILOT_NODE_IPS = alloc.map((x) => spec.nodes[x.node]?.ip ?? '').join('\n')
    env.SKYPILOT_NUM_GPUS_PER_NODE = gpusPerNode(job)
  } else {
    env.SKYPILOT_SETUP_NODE_RANK = String(a.node)
    env.SKYPILOT_SETUP_NODE_IPS = spec.nodes.map((n) => n.ip).join('\n')
    env.SKYPILOT_SETUP_NUM_GPUS_PER_NODE = gpusPerNode(job)
  }
  // Allocations index the node's devices; a local node maps them to the machine's own indices.
  const devices = spec.nodes[a.node]?.gpuIndices
  if (a.gpuIndices.length) env.CUDA_VISIBLE_DEVICES = a.gpuIndices.map((i) => devices?.[i] ?? i).join(',')
  return env
}

/** The log line prefix, with `{pid}` standing for the rank's process id (filled in on the node). */
export function logPrefix(job: JobRow, rank: number, ip: string, phase: 'setup' | 'run'): string {
  if (job.numNodes === 1) return phase === 'setup' ? '(setup pid={pid}) ' : '(task, pid={pid}) '
  const who = rank === 0 ? `head, rank=0, pid={pid}` : `worker${rank}, rank=${rank}, pid={pid}, ip=${ip}`
  return phase === 'setup' ? `(setup, ${who}) ` : `(${who}) `
}
