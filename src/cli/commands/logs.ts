// sky logs CLUSTER [JOB_IDS...]: stream a job's log (latest job by default), print its status
// (--status), download logs (--sync-down), or show how the cluster was provisioned (--provision).
// Exit codes follow SkyPilot's JobExitCode: 0 SUCCEEDED, 100 FAILED, 101 NOT_FINISHED,
// 102 NOT_FOUND, 103 CANCELLED.
import { defineCommand } from 'citty'
import { mkdirSync, renameSync, writeFileSync, appendFileSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { JobFailedError, NotFoundError, UsageError } from '../../core/errors'
import { jobStatus, logs } from '../../api/ops/jobs'
import { apiStatus } from '../../api/ops/requests'
import type { LogsResult } from '../../api/wire'
import { positionals } from '../args'
import { finish, sky } from '../client'
import { exitForJobStatus, jobOutcomeMessage } from '../job-exit'
import { info, out } from '../output'
import { DESCRIPTIONS } from './descriptions'

function parseIds(words: string[]): number[] {
  return words.map((s) => {
    const n = Number(s)
    if (!Number.isInteger(n) || n < 1) throw new UsageError(`Job id '${s}' must be a positive integer.`)
    return n
  })
}

function parseCount(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: '${v}' must be a non-negative integer.`)
  return n
}

/** Keep only the lines one node printed: `(task, ...)`/`(head, rank=0, ...)` for 0, `(workerN, rank=N, ...)` for N. */
export function workerFilter(rank: number, write: (s: string) => void): (s: string) => void {
  const mine = rank === 0 ? /^\((task, |setup pid=|head, rank=0, |setup, head, rank=0, )/ : new RegExp(`^\\((setup, )?worker${rank}, rank=${rank}, `)
  let partial = ''
  return (chunk: string) => {
    const lines = (partial + chunk).split('\n')
    partial = lines.pop() ?? ''
    const kept = lines.filter((l) => mine.test(l))
    if (kept.length) write(kept.join('\n') + '\n')
  }
}

function failIfNotSucceeded(cluster: string, r: LogsResult | undefined): void {
  if (!r || r.exit_code === 0) return
  throw new JobFailedError(jobOutcomeMessage(cluster, { job_id: r.job_id, job_status: r.job_status, exit_code: r.job_exit_code }), r.exit_code)
}

async function printStatus(cluster: string, ids: number[]): Promise<void> {
  const st = (await finish(await jobStatus({ cluster_name: cluster, job_ids: ids }))) ?? {}
  const entries = Object.entries(st)
  if (!entries.length) throw new JobFailedError(jobOutcomeMessage(cluster, { job_status: null }), exitForJobStatus(null))
  let code = 0
  for (const [id, s] of entries) {
    out(`Job ${id}: ${s ?? 'NOT FOUND'}`)
    if (s === null) info(jobOutcomeMessage(cluster, { job_id: Number(id), job_status: null }))
    if (!code) code = exitForJobStatus(s)
  }
  if (code) process.exitCode = code
}

/** --sync-down: each job's whole log into ~/sky_logs/<cluster>/job-<id>/run.log. */
async function syncDown(cluster: string, ids: number[]): Promise<void> {
  if (!ids.length) {
    const latest = Object.keys((await finish(await jobStatus({ cluster_name: cluster, job_ids: [] }))) ?? {})
    if (!latest.length) throw new JobFailedError(jobOutcomeMessage(cluster, { job_status: null }), exitForJobStatus(null))
    ids = latest.map(Number)
  }
  const root = join(process.env.HOME || homedir(), 'sky_logs', cluster)
  let missing: LogsResult | undefined
  for (const jobId of ids) {
    const dir = join(root, `job-${jobId}`)
    mkdirSync(dir, { recursive: true })
    const tmp = join(dir, `.run.log.${process.pid}`)
    writeFileSync(tmp, '')
    const r = await finish(await logs({ cluster_name: cluster, job_id: jobId, follow: false, tail: 0 }), { stream: true, write: (s) => appendFileSync(tmp, s) })
    if (r?.exit_code === 102) {
      info(jobOutcomeMessage(cluster, { job_id: jobId, job_status: null }))
      missing ??= r
      continue
    }
    renameSync(tmp, join(dir, 'run.log'))
    out(`Job ${jobId} logs: ${join(dir, 'run.log')}`)
  }
  if (missing) process.exitCode = 102
}

/**
 * --provision: the log of the request that provisioned the cluster as it is now: its latest
 * `sky start`, else the launch that created it (the oldest launch since the last `sky down`).
 */
async function provisionLog(cluster: string, follow: boolean, tail: number | undefined): Promise<void> {
  const rows = (await apiStatus({ cluster_name: cluster, all_status: true, limit: 1000 })).sort((a, b) => b.created_at - a.created_at)
  const down = rows.findIndex((r) => r.name === 'sky.down')
  const live = down < 0 ? rows : rows.slice(0, down)
  const pick = live.find((r) => r.name === 'sky.start') ?? live.filter((r) => r.name === 'sky.launch').pop()
  if (!pick) throw new NotFoundError(`No launch or start of cluster '${cluster}' is on record.`, { hint: 'Requests are kept for api_server.requests_retention_hours (default 24).' })
  for await (const s of sky().stream(pick.request_id, { follow, tail })) process.stdout.write(s)
}

export default defineCommand({
  meta: { name: 'logs', description: DESCRIPTIONS.logs },
  args: {
    cluster: { type: 'positional', required: true, description: 'Cluster name.' },
    job_ids: { type: 'positional', required: false, description: 'Job ids (default: the latest job).' },
    status: { type: 'boolean', description: 'Print the job status; exit 0 if SUCCEEDED, 100 FAILED, 101 NOT_FINISHED, 102 NOT_FOUND, 103 CANCELLED.' },
    follow: { type: 'boolean', default: true, description: 'Follow the log (--no-follow prints what exists).' },
    tail: { type: 'string', description: 'Only the last N lines (default 1000 when following, all with --no-follow; 0 = all).' },
    'sync-down': { type: 'boolean', alias: 's', description: 'Download the logs to ~/sky_logs/<cluster>/job-<id>/run.log.' },
    provision: { type: 'boolean', description: 'Show the log of the request that launched (or last started) the cluster.' },
    worker: { type: 'string', alias: 'w', description: 'Only the lines of this node rank (0 = head).' },
  },
  async run({ args }) {
    const ids = parseIds(positionals(args).slice(1))
    const follow = args.follow !== false
    const tail = parseCount(args.tail, '--tail')
    const worker = parseCount(args.worker, '--worker')
    if (args['sync-down'] && args.status) throw new UsageError('--sync-down and --status cannot be used together.')
    if (args.provision) {
      if (ids.length) throw new UsageError('--provision shows how the cluster was provisioned; it takes no job ids.')
      return provisionLog(args.cluster, follow, tail)
    }
    if (args.status) return printStatus(args.cluster, ids)
    if (args['sync-down']) return syncDown(args.cluster, ids)
    if (ids.length > 1) throw new UsageError(`Cannot stream the logs of several jobs (${ids.join(', ')}) at once; add --sync-down to download them.`)
    const stdout = (s: string) => void process.stdout.write(s)
    const id = await logs({ cluster_name: args.cluster, job_id: ids[0], follow, tail: tail ?? (follow ? 1000 : 0) })
    // Following a log is only worth its request while someone reads it: Ctrl+C ends both.
    const r = await finish(id, { stream: true, cancelOnInterrupt: true, write: worker === undefined ? stdout : workerFilter(worker, stdout) })
    failIfNotSucceeded(args.cluster, r)
  },
})
