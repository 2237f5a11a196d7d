// The agent subcommands: each takes the parsed flags and returns the JSON result (or, for
// `logs` and `daemon`, an exit code after streaming / running).
import type { Database } from 'bun:sqlite'
import { chmodSync, existsSync, mkdirSync } from 'node:fs'
import { NotFoundError, ResourcesUnavailableError, UsageError, ValidationError } from '../errors'
import { VERSION } from '../../version'
import { idsFlag, intFlag, type Parsed } from './args'
import { autostopStatus, resetAutostopTimer, setAutostop, touchActivity, WAIT_FOR } from './autostop'
import { cancelJobs, stopAll } from './cancel'
import type { RunnerFactory } from './remote'
import { neverFitsReason, resourcesString } from './capacity'
import { parseClusterSpec, readClusterSpec, writeClusterSpec } from './cluster-spec'
import { daemonState, ensureDaemon, notifyDaemon } from './daemon-control'
import { openDb, schemaVersion } from './db'
import { getStatus, insertJob, jobByKey, listJobs, statusCounts, type JobRow } from './job-store'
import type { Layout } from './layout'
import { streamLogs, type LogsIO } from './logs'
import { parseSubmitSpec } from './submit-spec'
import { makeTaskId } from './task-env'
import type { ClusterSpec, JobInfo, JobStatus, LifecycleHook, WaitFor } from './types'

export interface AgentIO extends LogsIO {
  readStdin(): Promise<string>
  /** How to reach ssh workers (default SSH; tests run them locally). */
  runners?: RunnerFactory
}

export interface CommandContext {
  L: Layout
  args: Parsed
  io: AgentIO
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text)
  } catch (e) {
    throw new ValidationError(`${what} on stdin is not valid JSON: ${(e as Error).message}`)
  }
}

function openExisting(L: Layout): Database {
  if (!existsSync(L.db)) throw new NotFoundError(`No node agent state under ${L.root}; run 'sky _agent init' first.`)
  return openDb(L.db)
}

function requireCluster(L: Layout): ClusterSpec {
  if (!existsSync(L.cluster)) throw new NotFoundError(`No cluster.json under ${L.root}; run 'sky _agent init' first.`)
  return readClusterSpec(L.cluster)
}

export function jobInfo(L: Layout, j: JobRow): JobInfo {
  return {
    id: j.id,
    name: j.name,
    user: j.user,
    userHash: j.userHash,
    submittedAt: j.submittedAt,
    startedAt: j.startedAt,
    endedAt: j.endedAt,
    resources: j.resources,
    status: j.status,
    exitCode: j.exitCode,
    exitCodes: j.exitCodes,
    priority: j.priority,
    numNodes: j.numNodes,
    taskId: j.taskId,
    logPath: L.runLog(j.id),
    failure: j.failure,
    idempotencyKey: j.idempotencyKey,
  }
}

export async function cmdInit({ L, args, io }: CommandContext) {
  const text = (await io.readStdin()).trim()
  let spec: ClusterSpec
  if (text) spec = parseClusterSpec(parseJson(text, 'cluster.json'))
  else if (existsSync(L.cluster)) spec = readClusterSpec(L.cluster)
  else throw new ValidationError('init expects cluster.json on stdin.')
  mkdirSync(L.logsDir, { recursive: true, mode: 0o700 })
  chmodSync(L.root, 0o700) // agent.db holds pending jobs' secrets
  const db = openDb(L.db)
  try {
    writeClusterSpec(L.cluster, spec)
    resetAutostopTimer(db)
    const daemonPid = args.bools.has('no-daemon') ? null : await ensureDaemon(db, L, spec.agentHost ?? null)
    notifyDaemon(db, L)
    return { ok: true, root: L.root, version: VERSION, schemaVersion: schemaVersion(db), daemonPid }
  } finally {
    db.close()
  }
}

export async function cmdSubmit({ L, io }: CommandContext) {
  const spec = parseSubmitSpec(parseJson(await io.readStdin(), 'The job'))
  const cluster = requireCluster(L)
  const reason = neverFitsReason(cluster, spec.demand, spec.numNodes)
  if (reason) throw new ResourcesUnavailableError(reason, { details: { demand: spec.demand, numNodes: spec.numNodes } })
  const db = openExisting(L)
  try {
    const { id: jobId, existing } = insertJob(db, spec, resourcesString(spec.numNodes, spec.demand), (id, at) => makeTaskId(cluster.name, id, at))
    if (!existing) touchActivity(db)
    await ensureDaemon(db, L, cluster.agentHost ?? null)
    notifyDaemon(db, L)
    return { jobId, existing }
  } finally {
    db.close()
  }
}

export function cmdQueue({ L, args }: CommandContext): JobInfo[] {
  const db = openExisting(L)
  try {
    const userHash = args.bools.has('all-users') ? undefined : args.values['user-hash']
    return listJobs(db, { userHash, skipFinished: args.bools.has('skip-finished') }).map((j) => jobInfo(L, j))
  } finally {
    db.close()
  }
}

export function cmdLookup({ L, args }: CommandContext): { jobId: number | null; status: JobStatus | null } {
  const key = args.values.key
  if (!key) throw new UsageError('lookup needs --key.')
  const db = openExisting(L)
  try {
    const j = jobByKey(db, key)
    return { jobId: j?.id ?? null, status: j?.status ?? null }
  } finally {
    db.close()
  }
}

export function cmdStatus({ L, args }: CommandContext): Record<string, JobStatus | null> {
  const ids = idsFlag(args.values)
  if (!ids) throw new UsageError('status needs --ids.')
  const db = openExisting(L)
  try {
    return Object.fromEntries(ids.map((id) => [String(id), getStatus(db, id)]))
  } finally {
    db.close()
  }
}

export async function cmdCancel({ L, args, io }: CommandContext) {
  const ids = idsFlag(args.values)
  const all = args.bools.has('all')
  const key = args.values.key
  if (!ids && !all && !key) throw new UsageError('cancel needs --ids, --all or --key.')
  const db = openExisting(L)
  try {
    return await cancelJobs(db, L, { ids: ids ?? undefined, all, key, userHash: args.values['user-hash'] }, io.runners)
  } finally {
    db.close()
  }
}

export async function cmdLogs({ L, args, io }: CommandContext): Promise<number> {
  const db = openExisting(L)
  try {
    const follow = args.bools.has('follow') && !args.bools.has('no-follow')
    const tail = intFlag(args.values, 'tail') ?? 0
    const host = existsSync(L.cluster) ? (readClusterSpec(L.cluster).agentHost ?? null) : null
    return await streamLogs(db, L, { job: intFlag(args.values, 'job'), follow, tail }, io, () => ensureDaemon(db, L, host))
  } finally {
    db.close()
  }
}

export async function cmdAutostop({ L, args, io }: CommandContext) {
  const idle = args.bools.has('cancel') ? -1 : intFlag(args.values, 'idle-minutes')
  if (idle === null) throw new UsageError('autostop needs --idle-minutes N (or --cancel).')
  const waitFor = (args.values['wait-for'] ?? 'jobs_and_ssh') as WaitFor
  if (!WAIT_FOR.includes(waitFor)) throw new UsageError(`--wait-for must be one of ${WAIT_FOR.join(', ')}.`)
  const hooks = args.bools.has('hooks') ? ((parseJson(await io.readStdin(), 'The hooks') as { hooks?: LifecycleHook[] }).hooks ?? []) : undefined
  const db = openExisting(L)
  try {
    const cfg = setAutostop(L, db, idle < 0 ? -1 : idle, args.bools.has('down'), waitFor, Date.now(), hooks)
    if (cfg.idleMinutes >= 0) await ensureDaemon(db, L, requireCluster(L).agentHost ?? null)
    notifyDaemon(db, L)
    return { autostop: cfg }
  } finally {
    db.close()
  }
}

export function cmdHealth({ L }: CommandContext) {
  if (!existsSync(L.db)) return { ok: false, initialized: false, version: VERSION, root: L.root }
  const db = openDb(L.db)
  try {
    const daemon = daemonState(db, L.root)
    const cluster = existsSync(L.cluster) ? readClusterSpec(L.cluster).name : null
    const a = autostopStatus(L, db)
    return {
      ok: daemon.alive,
      initialized: true,
      version: VERSION,
      schemaVersion: schemaVersion(db),
      root: L.root,
      cluster,
      daemon,
      jobs: statusCounts(db),
      lastActivityAt: a.lastActivityAt,
      autostop: { ...a.config, firedAt: a.firedAt, hookExitCode: a.hookExitCode },
    }
  } finally {
    db.close()
  }
}

export async function cmdStopAll({ L, io }: CommandContext) {
  if (!existsSync(L.db)) return { daemonStopped: false, failedJobs: [] }
  const db = openDb(L.db)
  try {
    return await stopAll(db, L, io.runners)
  } finally {
    db.close()
  }
}
