// Recovery policy of a managed job (`resources.job_recovery`): the strategy after a lost cluster
// (EAGER_NEXT_REGION, the default, or FAILOVER), and restarts after user failures
// (`max_restarts_on_errors`, `recover_on_exit_codes`). Validated before a job is recorded.
import type { FieldIssue } from '../errors'
import type { Dag, Task } from '../task/types'
import type { LaunchedInfra } from './types'

export const RECOVERY_STRATEGIES = ['EAGER_NEXT_REGION', 'FAILOVER'] as const
export type RecoveryStrategy = (typeof RECOVERY_STRATEGIES)[number]
export const DEFAULT_STRATEGY: RecoveryStrategy = 'EAGER_NEXT_REGION'

export interface RecoveryPolicy {
  strategy: RecoveryStrategy
  maxRestartsOnErrors: number
  recoverOnExitCodes: number[]
}

export interface BlockedLocation {
  infra: string
  region?: string
  zone?: string
}

/** The task's policy: the first resources candidate that sets job_recovery decides. */
export function recoveryPolicy(task: Task): RecoveryPolicy {
  const jr = task.resources.candidates.find((c) => c.jobRecovery)?.jobRecovery
  const strategy = (jr?.strategy as RecoveryStrategy | undefined) ?? DEFAULT_STRATEGY
  return {
    strategy: RECOVERY_STRATEGIES.includes(strategy) ? strategy : DEFAULT_STRATEGY,
    maxRestartsOnErrors: jr?.maxRestartsOnErrors ?? 0,
    recoverOnExitCodes: jr?.recoverOnExitCodes ?? [],
  }
}

/** Problems a managed job's DAG has that the task parser accepts (it serves sky launch too). */
export function jobIssues(dag: Dag): FieldIssue[] {
  const issues: FieldIssue[] = []
  const multi = dag.tasks.length > 1
  if (dag.execution === 'parallel') {
    issues.push({ path: 'execution', message: "'parallel' (job groups) is not supported by this build; use 'serial' (the default): tasks run one after another", value: 'parallel' })
  }
  dag.tasks.forEach((t, i) => {
    const base = multi ? `tasks[${i}].` : ''
    t.resources.candidates.forEach((c, k) => {
      const where = t.resources.mode === 'single' ? 'resources' : `resources.${t.resources.mode}[${k}]`
      const s = c.jobRecovery?.strategy
      if (s !== undefined && !RECOVERY_STRATEGIES.includes(s as RecoveryStrategy)) {
        issues.push({
          path: `${base}${where}.job_recovery.strategy`,
          message: `'${s}' is not a recovery strategy — use one of ${RECOVERY_STRATEGIES.join(', ')} (default ${DEFAULT_STRATEGY})`,
          value: s,
        })
      }
    })
    if (t.pool) issues.push({ path: `${base}pool`, message: 'pools (sky jobs pool) are not supported by this build; remove the pool section' })
  })
  return issues
}

/** Whether every alternative the user gave is pinned to where the task was lost (blocking it would leave nothing). */
function pinnedTo(task: Task, lost: LaunchedInfra): boolean {
  return task.resources.candidates.every((c) => c.infra?.region !== undefined && c.infra.region === lost.region)
}

export interface RecoveryPlan {
  /** Locations the next launch must avoid. */
  blocked: BlockedLocation[]
  /** FAILOVER first tries where the task ran (the cluster is kept for that); otherwise anywhere. */
  relaunch: 'any' | 'same'
}

/** What to do after the task's cluster was lost at `lost` (preempted, torn down behind our back). */
export function planRecovery(policy: RecoveryPolicy, task: Task, lost: LaunchedInfra | null): RecoveryPlan {
  if (policy.strategy === 'FAILOVER') return { blocked: [], relaunch: lost ? 'same' : 'any' }
  if (!lost || pinnedTo(task, lost)) return { blocked: [], relaunch: 'any' }
  return { blocked: [{ infra: lost.cloud, ...(lost.region ? { region: lost.region } : {}) }], relaunch: 'any' }
}

/**
 * After a user failure (the job failed on a healthy cluster): restart when the exit code is one
 * of recover_on_exit_codes (free), or while restarts remain (counted); otherwise the task fails.
 */
export function restartDecision(policy: RecoveryPolicy, restartsSoFar: number, exitCode: number | null): 'free' | 'counted' | 'no' {
  if (exitCode !== null && policy.recoverOnExitCodes.includes(exitCode)) return 'free'
  if (restartsSoFar < policy.maxRestartsOnErrors) return 'counted'
  return 'no'
}
