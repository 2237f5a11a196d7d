// The managed_jobs and managed_job_tasks tables: recording jobs, the queue views, the scheduler's
// atomic picks, and the controller's fenced updates.
import type { ManagedJobRecord, ManagedJobStatus, ManagedTaskRecord, ScheduleState } from '../jobs/types'
import { JOB_COLS, jobFromRow, sets, TASK_COLS, taskFromRow, type RawJob, type RawTask } from './managed-job-rows'
import type { UploadRefs } from '../uploads/sources'
import { isUniqueViolation, type Db, type SqlValue } from './db'
import { fenceSql, type Fence } from './leases'

/** Schedule states that hold a job slot (counted against max_running_jobs). */
const SLOT_STATES = `('LAUNCHING', 'ALIVE', 'ALIVE_WAITING', 'ALIVE_BACKOFF')`
/** Unfinished statuses, listed (an IN list uses the status index; NOT IN would scan). */
const ACTIVE_SQL = `('PENDING', 'STARTING', 'RUNNING', 'RECOVERING', 'CANCELLING')`
const TERMINAL_SQL = `('SUCCEEDED', 'CANCELLED', 'FAILED', 'FAILED_SETUP', 'FAILED_PRECHECKS', 'FAILED_NO_RESOURCE', 'FAILED_CONTROLLER')`

export type JobPatch = Partial<Pick<ManagedJobRecord, 'status' | 'scheduleState' | 'currentTask' | 'cancelRequested' | 'retryAt' | 'startedAt' | 'endedAt' | 'failureReason'>>
export type TaskPatch = Partial<Omit<ManagedTaskRecord, 'jobId' | 'taskId' | 'taskName' | 'resources' | 'submittedAt'>>

export interface NewManagedJob {
  name: string
  userId: string
  userName: string
  userRole: string | null
  workspace: string
  dagYaml: string
  priority: number
  entrypoint: string | null
  /** The request that recorded it: a re-run of that request finds the job instead of adding one. */
  requestId: string | null
  /** The client's config layers to apply to the job's launches. */
  config?: Record<string, unknown> | null
  /** Per task, what the client uploaded (workdir, file mounts). */
  uploads?: (UploadRefs | null)[] | null
  tasks: { taskName: string | null; resources: string }[]
}

export interface JobListFilter {
  userId?: string
  jobIds?: number[]
  name?: string
  skipFinished?: boolean
  statuses?: ManagedJobStatus[]
  /** Newest first, at most this many jobs. */
  limit?: number
}

export interface JobWithTasks extends ManagedJobRecord {
  tasks: ManagedTaskRecord[]
}

export class ManagedJobRepo {
  constructor(private db: Db) {}

  /**
   * Record a PENDING job and its tasks in one transaction; returns its id. A second insert for
   * the same request (re-run after a crash) returns the job the first one recorded.
   */
  async insert(j: NewManagedJob): Promise<number> {
    try {
      return await this.insertOnce(j)
    } catch (e) {
      if (!j.requestId || !isUniqueViolation(e)) throw e
      const had = await this.db.get<{ job_id: number }>(`SELECT job_id FROM managed_jobs WHERE request_id = ?`, [j.requestId])
      if (!had) throw e
      return Number(had.job_id)
    }
  }

  private async insertOnce(j: NewManagedJob): Promise<number> {
    const now = Date.now()
    return this.db.tx(async (t) => {
      const row = await t.get<{ job_id: number }>(
        `INSERT INTO managed_jobs (name, user_id, user_name, user_role, workspace, dag_yaml, num_tasks, priority, status, schedule_state, submitted_at, updated_at, entrypoint, request_id, config, uploads)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'PENDING', 'WAITING', ?, ?, ?, ?, ?, ?) RETURNING job_id`,
        [j.name, j.userId, j.userName, j.userRole, j.workspace, j.dagYaml, j.tasks.length, j.priority, now, now, j.entrypoint, j.requestId, j.config ? JSON.stringify(j.config) : null, j.uploads ? JSON.stringify(j.uploads) : null],
      )
      const jobId = Number(row!.job_id)
      for (const [i, task] of j.tasks.entries()) {
        await t.run(`INSERT INTO managed_job_tasks (job_id, task_id, task_name, resources, status, submitted_at) VALUES (?, ?, ?, ?, 'PENDING', ?)`, [
          jobId,
          i,
          task.taskName,
          task.resources,
          now,
        ])
      }
      return jobId
    })
  }

  async get(jobId: number): Promise<ManagedJobRecord | undefined> {
    const r = await this.db.get<RawJob>(`SELECT * FROM managed_jobs WHERE job_id = ?`, [jobId])
    return r ? jobFromRow(r) : undefined
  }

  async tasks(jobId: number): Promise<ManagedTaskRecord[]> {
    return (await this.db.all<RawTask>(`SELECT * FROM managed_job_tasks WHERE job_id = ? ORDER BY task_id`, [jobId])).map(taskFromRow)
  }

  async getWithTasks(jobId: number): Promise<JobWithTasks | undefined> {
    const job = await this.get(jobId)
    return job ? { ...job, tasks: await this.tasks(jobId) } : undefined
  }

  /** Jobs (newest first) with their tasks; the dag YAML is left out (empty string). */
  async list(f: JobListFilter = {}): Promise<JobWithTasks[]> {
    const { where, params } = this.where(f)
    let sql = `SELECT job_id, name, user_id, user_name, user_role, workspace, '' AS dag_yaml, num_tasks, priority, status, schedule_state, current_task,
      cancel_requested, retry_at, submitted_at, started_at, ended_at, updated_at, failure_reason, entrypoint
      FROM managed_jobs${where} ORDER BY job_id DESC`
    if (f.limit && f.limit > 0) {
      sql += ' LIMIT ?'
      params.push(f.limit)
    }
    const jobs = (await this.db.all<RawJob>(sql, params)).map(jobFromRow)
    if (!jobs.length) return []
    const byId = new Map<number, JobWithTasks>(jobs.map((j) => [j.jobId, { ...j, tasks: [] }]))
    const ids = jobs.map((j) => j.jobId)
    for (let i = 0; i < ids.length; i += 500) {
      const part = ids.slice(i, i + 500)
      const rows = await this.db.all<RawTask>(`SELECT * FROM managed_job_tasks WHERE job_id IN (${part.map(() => '?').join(',')}) ORDER BY job_id, task_id`, part)
      for (const r of rows) byId.get(Number(r.job_id))?.tasks.push(taskFromRow(r))
    }
    return [...byId.values()]
  }

  /** How many jobs match (for "showing N of M"). */
  async count(f: JobListFilter = {}): Promise<number> {
    const { where, params } = this.where(f)
    const r = await this.db.get<{ c: number }>(`SELECT COUNT(*) AS c FROM managed_jobs${where}`, params)
    return Number(r?.c ?? 0)
  }

  /** Unfinished jobs by status (the "In progress tasks" line). */
  async inProgressCounts(userId?: string): Promise<Record<string, number>> {
    const rows = await this.db.all<{ status: string; c: number }>(
      `SELECT status, COUNT(*) AS c FROM managed_jobs WHERE status IN ${ACTIVE_SQL}${userId ? ' AND user_id = ?' : ''} GROUP BY status`,
      userId ? [userId] : [],
    )
    return Object.fromEntries(rows.map((r) => [r.status, Number(r.c)]))
  }

  private where(f: JobListFilter): { where: string; params: SqlValue[] } {
    const w: string[] = []
    const params: SqlValue[] = []
    if (f.userId) {
      w.push('user_id = ?')
      params.push(f.userId)
    }
    if (f.jobIds?.length) {
      w.push(`job_id IN (${f.jobIds.map(() => '?').join(',')})`)
      params.push(...f.jobIds)
    }
    if (f.name !== undefined) {
      w.push('name = ?')
      params.push(f.name)
    }
    if (f.skipFinished) w.push(`status IN ${ACTIVE_SQL}`)
    if (f.statuses?.length) {
      w.push(`status IN (${f.statuses.map(() => '?').join(',')})`)
      params.push(...f.statuses)
    }
    return { where: w.length ? ` WHERE ${w.join(' AND ')}` : '', params }
  }

  /** Jobs a controller must own now: launched or launching, or with a pending cancel. */
  async activeIds(): Promise<number[]> {
    const rows = await this.db.all<{ job_id: number }>(
      `SELECT job_id FROM managed_jobs WHERE schedule_state NOT IN ('WAITING', 'DONE') OR (schedule_state = 'DONE' AND job_id IN (SELECT job_id FROM managed_job_tasks WHERE cluster_live = 1))`,
    )
    return rows.map((r) => Number(r.job_id))
  }

  /**
   * The scheduler's step: move jobs to LAUNCHING within the limits, ALIVE_WAITING ones (next
   * task, recovery) before WAITING ones, each by priority (high first) then submission (FIFO).
   */
  async schedule(maxLaunching: number, maxRunning: number): Promise<number[]> {
    const load = async (db: Db) => {
      const counts = await db.all<{ schedule_state: string; c: number }>(
        `SELECT schedule_state, COUNT(*) AS c FROM managed_jobs WHERE schedule_state IN ${SLOT_STATES} GROUP BY schedule_state`,
      )
      const count = (s: string) => Number(counts.find((c) => c.schedule_state === s)?.c ?? 0)
      return { launchRoom: maxLaunching - count('LAUNCHING'), runRoom: maxRunning - counts.reduce((a, c) => a + Number(c.c), 0), relaunches: count('ALIVE_WAITING') }
    }
    // Most calls find no room: decide that without taking the write lock.
    const pre = await load(this.db)
    if (pre.launchRoom <= 0 || (pre.relaunches === 0 && pre.runRoom <= 0)) return []
    return this.db.tx(async (t) => {
      const room = await load(t)
      let launchRoom = room.launchRoom
      const picked: number[] = []
      const take = async (state: ScheduleState, limit: number) => {
        if (limit <= 0) return 0
        const rows = await t.all<{ job_id: number }>(
          `SELECT job_id FROM managed_jobs WHERE schedule_state = ? AND cancel_requested = 0 ORDER BY priority DESC, job_id LIMIT ?`,
          [state, limit],
        )
        for (const r of rows) {
          const ok = await t.run(`UPDATE managed_jobs SET schedule_state = 'LAUNCHING', updated_at = ? WHERE job_id = ? AND schedule_state = ?`, [Date.now(), r.job_id, state])
          if (ok.changes) picked.push(Number(r.job_id))
        }
        return rows.length
      }
      launchRoom -= await take('ALIVE_WAITING', launchRoom)
      await take('WAITING', Math.min(launchRoom, room.runRoom))
      return picked
    })
  }

  /**
   * The controller's write: patch the job and (optionally) one task in one transaction, only
   * while `fence` still holds the job's lease. Returns false when the lease was lost.
   */
  async update(jobId: number, job: JobPatch, task?: { taskId: number; patch: TaskPatch }, fence?: Fence): Promise<boolean> {
    const now = Date.now()
    return this.db.tx(async (t) => {
      const js = sets(job as Record<string, unknown>, JOB_COLS)
      const f = fenceSql(fence)
      const r = await t.run(`UPDATE managed_jobs SET ${[...js.sql, 'updated_at = ?'].join(', ')} WHERE job_id = ?${f.sql}`, [...js.params, now, jobId, ...f.params])
      if (!r.changes) return false
      if (task) {
        const ts = sets(task.patch as Record<string, unknown>, TASK_COLS)
        if (ts.sql.length) await t.run(`UPDATE managed_job_tasks SET ${ts.sql.join(', ')} WHERE job_id = ? AND task_id = ?`, [...ts.params, jobId, task.taskId])
      }
      return true
    })
  }

  /** Patch every task of a job from `fromTask` on that is not finished yet (skipped pipeline tasks). */
  async patchRemainingTasks(jobId: number, fromTask: number, patch: TaskPatch, fence?: Fence): Promise<void> {
    const ts = sets(patch as Record<string, unknown>, TASK_COLS)
    const f = fenceSql(fence)
    await this.db.run(
      `UPDATE managed_job_tasks SET ${ts.sql.join(', ')} WHERE job_id = ? AND task_id >= ? AND status NOT IN ${TERMINAL_SQL}${f.sql}`,
      [...ts.params, jobId, fromTask, ...f.params],
    )
  }

  /**
   * Cancel a job that is still WAITING (no controller holds it): final at once. Returns false
   * when it was already scheduled (the controller must cancel it).
   */
  async cancelWaiting(jobId: number, reason: string): Promise<boolean> {
    const now = Date.now()
    return this.db.tx(async (t) => {
      const r = await t.run(
        `UPDATE managed_jobs SET status = 'CANCELLED', schedule_state = 'DONE', cancel_requested = 1, ended_at = ?, updated_at = ?, failure_reason = ? WHERE job_id = ? AND schedule_state = 'WAITING'`,
        [now, now, reason, jobId],
      )
      if (!r.changes) return false
      await t.run(`UPDATE managed_job_tasks SET status = 'CANCELLED', phase = 'done', end_at = ? WHERE job_id = ? AND status NOT IN ${TERMINAL_SQL}`, [now, jobId])
      return true
    })
  }

  /** Ask the controller to cancel; false when the job is already finished. */
  async requestCancel(jobId: number): Promise<boolean> {
    const r = await this.db.run(`UPDATE managed_jobs SET cancel_requested = 1, updated_at = ? WHERE job_id = ? AND status NOT IN ${TERMINAL_SQL}`, [Date.now(), jobId])
    return r.changes > 0
  }

  /** Clusters of unfinished tasks (`sky status` marks them; cleanup finds leftovers). */
  async liveClusters(): Promise<{ jobId: number; taskId: number; clusterName: string }[]> {
    const rows = await this.db.all<{ job_id: number; task_id: number; cluster_name: string }>(
      `SELECT job_id, task_id, cluster_name FROM managed_job_tasks WHERE cluster_live = 1 AND cluster_name IS NOT NULL`,
    )
    return rows.map((r) => ({ jobId: Number(r.job_id), taskId: Number(r.task_id), clusterName: r.cluster_name }))
  }
}
