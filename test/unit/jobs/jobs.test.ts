// Managed jobs' pure parts: names, the REQUESTED column, recovery policy and validation, the
// queue table.
import { describe, expect, test } from 'bun:test'
import { renderJobsTable, inProgressLine } from '../../../src/cli/render/jobs'
import { managedJobsSection, servicesSection } from '../../../src/cli/render/status-sections'
import { nameDag, requestedResources, taskClusterName } from '../../../src/core/jobs/naming'
import { planRecovery, recoveryPolicy, restartDecision } from '../../../src/core/jobs/recovery'
import { validateJobDag } from '../../../src/core/jobs/submit'
import type { ManagedJob as ManagedJobWire } from '../../../src/api/wire'
import { exitCodeFor } from '../../../src/core/jobs/types'
import { ValidationError } from '../../../src/core/errors'
import { parseDag } from '../../../src/core/task/dag-parse'

describe('names', () => {
  test('cluster names: task name cleaned, cut to 25 characters, then -<job id>', () => {
    expect(taskClusterName('train', 3)).toBe('train-3')
    expect(taskClusterName('My_Big Training.Run!', 12)).toBe('my-big-training-run-12')
    expect(taskClusterName('a'.repeat(40), 7)).toBe(`${'a'.repeat(25)}-7`)
    expect(taskClusterName(null, 9)).toBe('sky-managed-9')
  })

  test('job and task names as SkyPilot infers them', () => {
    expect(nameDag(parseDag('run: x\n')).name).toBe('sky-cmd')
    const one = nameDag(parseDag('name: t\nrun: x\n'), 'job-1')
    expect([one.name, one.tasks[0]!.name]).toEqual(['job-1', 'job-1'])
    const pipe = nameDag(parseDag('name: p\n---\nrun: a\n---\nname: b\nrun: b\n'))
    expect([pipe.name, ...pipe.tasks.map((t) => t.name)]).toEqual(['p', 'p-0', 'b'])
  })

  test('REQUESTED: nodes, CPUs or accelerators, spot', () => {
    expect(requestedResources(parseDag('run: x\n').tasks[0]!)).toBe('1x[CPU:1+]')
    expect(requestedResources(parseDag('num_nodes: 2\nresources:\n  cpus: 4\nrun: x\n').tasks[0]!)).toBe('2x[CPU:4]')
    expect(requestedResources(parseDag('resources:\n  accelerators: H100:8\n  use_spot: true\nrun: x\n').tasks[0]!)).toBe('1x[H100:8][Spot]')
    expect(requestedResources(parseDag('resources:\n  any_of:\n    - cpus: 8+\n      use_spot: true\n    - cpus: 4+\nrun: x\n').tasks[0]!)).toBe('1x[CPU:4+][Spot|On-demand]')
  })
})

describe('recovery', () => {
  const task = (y: string) => parseDag(y).tasks[0]!
  test('policy defaults and validation naming the field', () => {
    expect(recoveryPolicy(task('run: x\n'))).toEqual({ strategy: 'EAGER_NEXT_REGION', maxRestartsOnErrors: 0, recoverOnExitCodes: [] })
    expect(recoveryPolicy(task('resources:\n  job_recovery:\n    strategy: failover\n    max_restarts_on_errors: 2\n    recover_on_exit_codes: [3, 4]\nrun: x\n'))).toEqual({
      strategy: 'FAILOVER',
      maxRestartsOnErrors: 2,
      recoverOnExitCodes: [3, 4],
    })
    let err: unknown
    try {
      validateJobDag('resources:\n  job_recovery: SIDEWAYS\nrun: x\n')
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ValidationError)
    expect((err as ValidationError).issues[0]!.path).toBe('resources.job_recovery.strategy')
    expect((err as ValidationError).exitCode).toBe(2)
    expect(() => validateJobDag('name: p\n---\nrun: a\n---\nresources:\n  job_recovery:\n    strategy: NOPE\nrun: b\n')).toThrow('tasks[1].resources.job_recovery.strategy')
  })

  test('EAGER_NEXT_REGION blocks where it ran unless the user pinned it; FAILOVER tries there first', () => {
    const lost = { cloud: 'aws', region: 'us-east-1', zone: 'us-east-1a' }
    expect(planRecovery(recoveryPolicy(task('run: x\n')), task('run: x\n'), lost)).toEqual({ blocked: [{ infra: 'aws', region: 'us-east-1' }], relaunch: 'any' })
    const pinned = task('resources:\n  infra: aws/us-east-1\nrun: x\n')
    expect(planRecovery(recoveryPolicy(pinned), pinned, lost)).toEqual({ blocked: [], relaunch: 'any' })
    const fo = task('resources:\n  job_recovery: FAILOVER\nrun: x\n')
    expect(planRecovery(recoveryPolicy(fo), fo, lost)).toEqual({ blocked: [], relaunch: 'same' })
  })

  test('restarts: recover_on_exit_codes are free, max_restarts_on_errors counts', () => {
    const p = { strategy: 'EAGER_NEXT_REGION' as const, maxRestartsOnErrors: 1, recoverOnExitCodes: [42] }
    expect(restartDecision(p, 5, 42)).toBe('free')
    expect(restartDecision(p, 0, 1)).toBe('counted')
    expect(restartDecision(p, 1, 1)).toBe('no')
    expect([exitCodeFor('SUCCEEDED'), exitCodeFor('FAILED_SETUP'), exitCodeFor('RUNNING'), exitCodeFor('CANCELLED')]).toEqual([0, 100, 101, 103])
  })
})

describe('queue table', () => {
  const now = 1_800_000_000_000
  const rec = (o: Partial<ManagedJobWire>): ManagedJobWire => ({
    job_id: 1,
    task_id: 0,
    job_name: 'job-1',
    task_name: 'job-1',
    user_name: 'me',
    user_hash: 'abcd1234',
    workspace: 'default',
    resources: '1x[CPU:2]',
    status: 'SUCCEEDED',
    schedule_state: 'DONE',
    submitted_at: now / 1000 - 5 * 86400,
    start_at: now / 1000 - 5 * 86400 + 64,
    end_at: now / 1000 - 5 * 86400 + 67,
    last_recovered_at: null,
    recovery_count: 0,
    job_duration: 3,
    failure_reason: null,
    cluster_name: null,
    cloud: 'local',
    region: null,
    zone: null,
    priority: 0,
    num_tasks: 1,
    ...o,
  })

  test("the seed's columns; USER only with -u; pipelines as a parent row and ↳ task rows", () => {
    const t = renderJobsTable(
      [
        rec({}),
        rec({ job_id: 2, job_name: 'pipe', task_name: 'a', num_tasks: 2, status: 'SUCCEEDED' }),
        rec({ job_id: 2, task_id: 1, job_name: 'pipe', task_name: 'b', num_tasks: 2, status: 'RUNNING', end_at: null, recovery_count: 1 }),
      ],
      { allUsers: true, now },
    )
    expect(t.split('\n')).toEqual([
      'ID  TASK  NAME   USER  REQUESTED  SUBMITTED   TOT. DURATION  JOB DURATION  #RECOVERIES  STATUS',
      '2         pipe   me    -          5 days ago  5d             6s            1            RUNNING',
      ' ↳  0     a      me    1x[CPU:2]  5 days ago  1m 7s          3s            0            SUCCEEDED',
      ' ↳  1     b      me    1x[CPU:2]  5 days ago  5d             3s            1            RUNNING',
      '1   -     job-1  me    1x[CPU:2]  5 days ago  1m 7s          3s            0            SUCCEEDED',
    ])
    expect(renderJobsTable([rec({})], { allUsers: false, now }).split('\n')[0]).toBe('ID  TASK  NAME   REQUESTED  SUBMITTED   TOT. DURATION  JOB DURATION  #RECOVERIES  STATUS')
    expect(inProgressLine({ RUNNING: 2, PENDING: 1 })).toBe('In progress tasks: 1 PENDING, 2 RUNNING')
    expect(inProgressLine({})).toBeUndefined()
  })

  test('the sky status section: the latest in-progress jobs, a hint with how many there are in all', () => {
    const running = (id: number) => rec({ job_id: id, job_name: `j${id}`, task_name: `j${id}`, status: 'RUNNING', end_at: null })
    const five = [7, 6, 5, 4, 3].map(running)
    const cut = managedJobsSection({ jobs: five, total: 7, in_progress: { RUNNING: 7 } }, { allUsers: false, now })
    const lines = cut.text.split('\n')
    expect(lines.slice(0, 3)).toEqual(['Managed jobs', 'In progress tasks: 7 RUNNING', 'ID  TASK  NAME  REQUESTED  SUBMITTED   TOT. DURATION  JOB DURATION  #RECOVERIES  STATUS'])
    expect(lines.slice(3).map((l) => l.split(' ')[0])).toEqual(['7', '6', '5', '4', '3'])
    expect(cut.hint).toBe('* 7 managed jobs are in progress (5 latest ones shown). To see all managed jobs: sky jobs queue')
    const one = managedJobsSection({ jobs: [running(1)], total: 1, in_progress: { RUNNING: 1 } }, { allUsers: true, now })
    expect(one.text.split('\n')[2]).toStartWith('ID  TASK  NAME  USER  REQUESTED')
    expect(one.hint).toBe('* 1 managed job is in progress. To see all managed jobs: sky jobs queue')
    expect(managedJobsSection({ jobs: [], total: 0, in_progress: {} }, { allUsers: false })).toEqual({ text: 'Managed jobs\nNo in-progress managed jobs.' })
    expect(servicesSection([])).toEqual({ text: 'Services\nNo live services.' })
  })
})
