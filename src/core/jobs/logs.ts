// Where managed jobs' logs live: each task's output (copied from its cluster while it runs, so it
// outlives the cluster) and each job's controller log (launches, recoveries, teardowns). Files
// under $SKY_HOME/managed_jobs/logs next to a SQLite store; the database for PostgreSQL, so every
// replica can serve any job's logs.
import { join } from 'node:path'
import { paths } from '../paths'
import type { Store } from '../state/store'
import { DbLogStore } from '../../server/requests/db-log-store'
import { FileLogStore, type LogStore } from '../../server/requests/log-store'

export function managedJobLogsDir(): string {
  return join(paths.home(), 'managed_jobs', 'logs')
}

export class JobLogs {
  constructor(
    readonly store: LogStore,
    private prefix: string,
  ) {}

  taskKey(jobId: number, taskId: number): string {
    return `${this.prefix}${jobId}-${taskId}`
  }

  controllerKey(jobId: number): string {
    return `${this.prefix}${jobId}-controller`
  }

  /** One controller-log line with a timestamp, as SkyPilot's controller logs have. */
  controller(jobId: number, line: string): void {
    const ts = new Date().toISOString().replace('T', ' ').slice(0, 19)
    const text = line
      .split('\n')
      .map((l) => `${ts} ${l}`)
      .join('\n')
    this.store.append(this.controllerKey(jobId), text + '\n')
  }
}

export function jobLogs(store: Store): JobLogs {
  if (store.db.kind === 'postgres') return new JobLogs(new DbLogStore(store.db), 'managed-job:')
  return new JobLogs(new FileLogStore(managedJobLogsDir()), '')
}
