// The job DB: migrations, transitions that never overwrite a concurrent outcome, secrets scrubbing;
// and the autostop idle test.
import { afterAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { idleVerdict } from '../../../src/core/agent/autostop'
import { migrate, openDb, SCHEMA_VERSION, schemaVersion } from '../../../src/core/agent/db'
import { getJob, insertJob, jobByKey, jobSecretsPath, jobsWithStatus, listJobs, scrubSecrets, transition, withSecrets } from '../../../src/core/agent/job-store'
import { parseSubmitSpec } from '../../../src/core/agent/submit-spec'
import type { AutostopConfig } from '../../../src/core/agent/types'

const dir = mkdtempSync(join(tmpdir(), 'sky-agent-db-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

const spec = (extra: Record<string, unknown> = {}) => parseSubmitSpec({ user: 'a', userHash: 'h', run: 'echo', secrets: { S: 'x' }, ...extra })

describe('job store', () => {
  test('migrations are idempotent and WAL is on', () => {
    const path = join(dir, 'm.db')
    const db = openDb(path)
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION)
    expect(migrate(db)).toBe(SCHEMA_VERSION)
    expect((db.query('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode).toBe('wal')
    db.close()
    const again = openDb(path)
    expect(schemaVersion(again)).toBe(SCHEMA_VERSION)
    again.close()
  })

  test('insert, order, transitions and scrubbing', () => {
    const db = openDb(join(dir, 'j.db'))
    const a = insertJob(db, spec(), '1x[CPU:0.5]', (id) => `task-${id}`).id
    const b = insertJob(db, spec({ priority: 5 }), '1x[CPU:0.5]', (id) => `task-${id}`).id
    const c = insertJob(db, spec({ taskId: 'given' }), '1x[CPU:0.5]', (id) => `task-${id}`).id
    // The database keeps the secret's name only; the value sits in a 0600 file beside it.
    expect(getJob(db, a)).toMatchObject({ status: 'PENDING', taskId: 'task-1', commands: { secrets: { S: '' } } })
    expect(withSecrets(db, getJob(db, a)!).commands.secrets).toEqual({ S: 'x' })
    expect(statSync(jobSecretsPath(db, a)).mode & 0o777).toBe(0o600)
    expect(getJob(db, c)!.taskId).toBe('given')
    expect(jobsWithStatus(db, ['PENDING']).map((j) => j.id)).toEqual([b, a, c])
    expect(listJobs(db).map((j) => j.id)).toEqual([c, b, a])

    expect(transition(db, a, ['PENDING'], 'RUNNING', { startedAt: 5, procs: [{ rank: 0, node: 0, phase: 'run', pgid: 9, remote: false }] })).toBe(true)
    expect(transition(db, a, ['PENDING'], 'SETTING_UP')).toBe(false)
    expect(transition(db, a, ['RUNNING'], 'CANCELLED', { endedAt: 6 })).toBe(true)
    // The daemon finishing the job afterwards must not overwrite the cancel.
    expect(transition(db, a, ['SETTING_UP', 'RUNNING'], 'FAILED', { exitCode: 143 })).toBe(false)
    expect(getJob(db, a)).toMatchObject({ status: 'CANCELLED', startedAt: 5, endedAt: 6, exitCode: null, procs: [{ pgid: 9 }] })
    scrubSecrets(db, a)
    expect(existsSync(jobSecretsPath(db, a))).toBe(false)
    expect(withSecrets(db, getJob(db, a)!).commands.secrets).toEqual({ S: '' })
    db.close()
    // Neither the database nor its WAL ever held the value.
    for (const f of [join(dir, 'j.db'), join(dir, 'j.db-wal')]) if (existsSync(f)) expect(readFileSync(f).includes(Buffer.from('"S":"x"'))).toBe(false)
  })

  test('an idempotency key submitted twice gives the first job back, whatever its status', () => {
    const db = openDb(join(dir, 'k.db'))
    const first = insertJob(db, spec({ idempotencyKey: 'req-1' }), '1x[CPU:0.5]', (id) => `task-${id}`)
    expect(first.existing).toBe(false)
    expect(transition(db, first.id, ['PENDING'], 'SUCCEEDED', { endedAt: 1 })).toBe(true)
    const again = insertJob(db, spec({ idempotencyKey: 'req-1' }), '1x[CPU:0.5]', (id) => `task-${id}`)
    expect(again).toEqual({ id: first.id, existing: true })
    expect(jobByKey(db, 'req-1')).toMatchObject({ id: first.id, status: 'SUCCEEDED', idempotencyKey: 'req-1' })
    const other = insertJob(db, spec({ idempotencyKey: 'req-2' }), '1x[CPU:0.5]', (id) => `task-${id}`)
    expect(other.existing).toBe(false)
    expect(other.id).not.toBe(first.id)
    // Jobs without a key are never deduplicated.
    expect(insertJob(db, spec(), '', (id) => `t${id}`).id).not.toBe(insertJob(db, spec(), '', (id) => `t${id}`).id)
    expect(listJobs(db)).toHaveLength(4)
    db.close()
  })
})

describe('autostop idle test', () => {
  const cfg = (extra: Partial<AutostopConfig> = {}): AutostopConfig => ({ idleMinutes: 2, down: false, waitFor: 'jobs_and_ssh', setAt: 0, bootTime: null, ...extra })
  const minute = 60_000

  test('busy jobs or SSH sessions reset the timer, per wait_for', () => {
    expect(idleVerdict({ cfg: cfg(), now: 10 * minute, lastActivityAt: 0, busyJobs: true, sshSessions: () => 0, minuteMs: minute })).toBe('busy')
    expect(idleVerdict({ cfg: cfg(), now: 10 * minute, lastActivityAt: 0, busyJobs: false, sshSessions: () => 1, minuteMs: minute })).toBe('busy')
    expect(idleVerdict({ cfg: cfg({ waitFor: 'jobs' }), now: 10 * minute, lastActivityAt: 0, busyJobs: false, sshSessions: () => 1, minuteMs: minute })).toBe('fire')
    expect(idleVerdict({ cfg: cfg({ waitFor: 'none' }), now: 10 * minute, lastActivityAt: 9 * minute, busyJobs: true, sshSessions: () => 1, minuteMs: minute })).toBe('fire')
  })

  test('fires only after idle minutes since the later of set time and last activity', () => {
    const base = { busyJobs: false, sshSessions: () => 0, minuteMs: minute }
    expect(idleVerdict({ ...base, cfg: cfg(), now: 3 * minute, lastActivityAt: 2 * minute })).toBe('wait')
    expect(idleVerdict({ ...base, cfg: cfg(), now: 4 * minute, lastActivityAt: 2 * minute })).toBe('fire')
    expect(idleVerdict({ ...base, cfg: cfg({ setAt: 3 * minute }), now: 4 * minute, lastActivityAt: 0 })).toBe('wait')
    expect(idleVerdict({ ...base, cfg: cfg({ idleMinutes: 0 }), now: 1, lastActivityAt: 1 })).toBe('fire')
  })
})
