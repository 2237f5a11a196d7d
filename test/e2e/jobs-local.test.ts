// Managed jobs on the local infra, driven through the compiled binary as a user would: the seed's
// --async loop and queue table, recovery after the cluster is torn down from outside, restarts
// on user errors, pipelines, cancellation in each state, and bad input.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { authedFetch, tempHome, waitFor, type TempHome } from '../harness'
import { apiCall, count, hasLocalCluster, jobLogs, jobOf, launchedId, localClusterDirs, queueJson, waitStatus } from '../harness/jobs'

let h: TempHome
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

beforeAll(async () => {
  h = await tempHome()
})
afterAll(async () => {
  await h.sky(['jobs', 'cancel', '-a', '-y'], { timeoutMs: 60_000 })
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
})

function yaml(name: string, text: string): string {
  const p = join(h.dir, name)
  writeFileSync(p, text)
  return p
}

describe('managed jobs on local infra', () => {
  test("the seed's --async loop, then sky jobs queue -u", async () => {
    for (let i = 1; i <= 10; i++) {
      const r = await h.sky(['jobs', 'launch', '-n', `job-${i}`, '-y', '--async', `echo hello SkyPilot ${i}`])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain(`Managed job 'job-${i}' submitted, ID: ${i}`)
    }
    // Every job is recorded the moment its launch returns.
    const q = await h.sky(['jobs', 'queue', '-u'])
    expect(q.code).toBe(0)
    expect(q.stderr).toContain('Fetching managed job statuses...')
    const lines = q.stdout.trimEnd().split('\n')
    expect(lines[0]).toBe('Managed jobs')
    const header = lines.find((l) => l.startsWith('ID'))!
    expect(header.split(/\s{2,}/)).toEqual(['ID', 'TASK', 'NAME', 'USER', 'REQUESTED', 'SUBMITTED', 'TOT. DURATION', 'JOB DURATION', '#RECOVERIES', 'STATUS'])
    const rows = lines.slice(lines.indexOf(header) + 1)
    expect(rows.map((l) => Number(l.split(/\s+/)[0]))).toEqual([10, 9, 8, 7, 6, 5, 4, 3, 2, 1])
    expect(rows[9]).toMatch(/^1\s+-\s+job-1\s+tester\s+1x\[CPU:1\+\]\s+a few secs ago\s+/)
    // All of them finish, each printed its line, and no cluster is left behind.
    for (let i = 1; i <= 10; i++) await waitStatus(h, i, 'SUCCEEDED', 90_000)
    const done = await h.sky(['jobs', 'queue', '-u'])
    expect(done.stdout).not.toContain('In progress')
    expect(done.stdout.match(/SUCCEEDED/g)?.length).toBe(10)
    expect(done.stdout).toMatch(/^3\s+-\s+job-3\s+tester\s+1x\[CPU:1\+\]\s+a few secs ago\s+\d+s\s+\d+s\s+0\s+SUCCEEDED$/m)
    const logs = await jobLogs(h, 3)
    expect(logs.code).toBe(0)
    expect(logs.text).toMatch(/\(task, pid=\d+\) hello SkyPilot 3\n/)
    expect((await h.sky(['status', '-u'])).stdout).toContain('No existing clusters.')
    expect(localClusterDirs(h)).toEqual([])
  }, 180_000)

  test('queue: own jobs by default, -o json, --skip-finished, --limit with a note', async () => {
    const mine = JSON.parse((await h.sky(['jobs', 'queue', '-o', 'json'])).stdout)
    expect(mine.length).toBe(10)
    expect(mine[0]).toMatchObject({ job_id: 10, task_id: 0, job_name: 'job-10', status: 'SUCCEEDED', recovery_count: 0, resources: '1x[CPU:1+]' })
    const other = await apiCall<{ jobs: unknown[] }>(h.endpoint, '/jobs/queue', {}, { 'x-sky-user-id': 'eve12345', 'x-sky-user-name': 'eve' })
    expect(other.return_value?.jobs).toEqual([])
    const skip = await h.sky(['jobs', 'queue', '--skip-finished'])
    expect(skip.stdout).toContain('No in-progress managed jobs.')
    const lim = await h.sky(['jobs', 'queue', '-l', '3'])
    expect(lim.stdout.trimEnd().split('\n').length).toBe(2 + 3)
    expect(lim.stderr).toContain('Showing the latest 3 of 10 managed jobs; use --all to show all.')
  })

  test('bad input: invalid YAML and an unknown strategy are rejected before anything is recorded; unknown ids exit 4', async () => {
    const before = (await queueJson(h)).length
    const bad = await h.sky(['jobs', 'launch', '-y', yaml('bad.yaml', 'resources:\n  job_recovery:\n    strategy: NOPE\nrun: echo hi\n')])
    expect(bad.code).toBe(2)
    expect(bad.stderr).toContain("resources.job_recovery.strategy: 'NOPE' is not a recovery strategy")
    const badFlag = await h.sky(['jobs', 'launch', '-y', '--job-recovery', 'sideways', 'echo hi'])
    expect(badFlag.code).toBe(2)
    const broken = await h.sky(['jobs', 'launch', '-y', yaml('broken.yaml', 'run: [echo\n')])
    expect(broken.code).toBe(2)
    const typo = await h.sky(['jobs', 'launch', '-y', yaml('typo.yaml', 'num_nodes: zero\nrun: echo hi\n')])
    expect(typo.code).toBe(2)
    expect(typo.stderr).toContain('num_nodes')
    // Straight to the API: the server validates too.
    const api = await authedFetch(`${h.endpoint}/jobs/launch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: 'resources:\n  job_recovery: NOPE\nrun: x\n' }) })
    const rid = api.headers.get('x-skypilot-request-id')!
    const got = await waitFor(async () => {
      const r = await authedFetch(`${h.endpoint}/api/get?request_id=${rid}`)
      return r.status === 200 ? ((await r.json()) as { status: string; error?: { code: string } }) : undefined
    })
    expect(got.status).toBe('FAILED')
    expect(got.error?.code).toBe('VALIDATION')
    expect((await queueJson(h)).length).toBe(before)
    for (const args of [['jobs', 'logs', '999'], ['jobs', 'cancel', '-y', '999'], ['jobs', 'logs', '-n', 'no-such-job']]) {
      const r = await h.sky(args)
      expect(r.code).toBe(4)
      expect(r.stderr).toMatch(/not found|No managed job named/)
    }
  })

  test('a job whose cluster is torn down from outside recovers and finishes with #RECOVERIES >= 1', async () => {
    const go = join(h.dir, 'go-recover')
    const r = await h.sky(['jobs', 'launch', '-n', 'survivor', '-y', '-d', `echo started; while [ ! -f ${go} ]; do sleep 0.2; done; echo finished`])
    expect(r.code).toBe(0)
    const id = launchedId(out(r))
    await waitFor(async () => (await jobLogs(h, id)).text.includes('started'), 60_000, 200)
    const cluster = (await jobOf(h, id))!.cluster_name!
    expect(cluster).toBe(`survivor-${id}`)
    expect((await h.sky(['status', '-u'])).stdout).toContain(cluster)
    expect((await h.sky(['down', '-y', cluster])).code).toBe(0)
    const rec = await waitStatus(h, id, 'RUNNING', 60_000).then(() => waitFor(async () => {
      const j = await jobOf(h, id)
      return j && j.recovery_count >= 1 && j.status === 'RUNNING' ? j : undefined
    }, 60_000, 200))
    expect(rec.recovery_count).toBe(1)
    await waitFor(async () => count((await jobLogs(h, id)).text, 'started') === 2, 60_000, 200)
    writeFileSync(go, '')
    const final = await waitStatus(h, id, 'SUCCEEDED', 60_000)
    expect(final.recovery_count).toBeGreaterThanOrEqual(1)
    const q = await h.sky(['jobs', 'queue'])
    expect(q.stdout).toMatch(new RegExp(`^${id}\\s+-\\s+survivor\\s+.*\\s1\\s+SUCCEEDED$`, 'm'))
    const ctl = await jobLogs(h, id, ['--controller'])
    expect(ctl.text).toContain('recovering (strategy EAGER_NEXT_REGION')
    expect(localClusterDirs(h)).toEqual([])
  }, 180_000)

  test('a cluster whose nodes vanish (directory removed behind its back) is recovered; the lost run is killed', async () => {
    const go = join(h.dir, 'go-vanish')
    const token = `vanish-${Date.now()}`
    const r = await h.sky(['jobs', 'launch', '-n', 'vanish', '-y', '-d', `echo ${token}-up; while [ ! -f ${go} ]; do sleep 0.2; done`])
    const id = launchedId(out(r))
    await waitFor(async () => (await jobLogs(h, id)).text.includes(`${token}-up`), 60_000, 200)
    const dir = localClusterDirs(h).find((d) => d.startsWith(`vanish-${id}-`))!
    rmSync(join(h.dir, 'local', dir), { recursive: true, force: true })
    await waitFor(async () => {
      const j = await jobOf(h, id)
      return j && j.recovery_count === 1 && j.status === 'RUNNING'
    }, 60_000, 200)
    // Only the relaunched run is alive: the one on the vanished nodes was killed by its cluster's tag.
    await waitFor(() => Bun.spawnSync(['pgrep', '-f', `${token}-up`]).stdout.toString().trim().split('\n').filter(Boolean).length === 1, 20_000, 200)
    writeFileSync(go, '')
    await waitStatus(h, id, 'SUCCEEDED')
  }, 120_000)

  test('FAILOVER: after the loss it relaunches where it ran first', async () => {
    const go = join(h.dir, 'go-failover')
    const r = await h.sky(['jobs', 'launch', '-n', 'fo', '-y', '-d', '--job-recovery', 'FAILOVER', `echo fo-started; while [ ! -f ${go} ]; do sleep 0.2; done`])
    const id = launchedId(out(r))
    await waitFor(async () => (await jobLogs(h, id)).text.includes('fo-started'), 60_000, 200)
    expect((await h.sky(['down', '-y', `fo-${id}`])).code).toBe(0)
    await waitFor(async () => {
      const j = await jobOf(h, id)
      return j && j.recovery_count === 1 && j.status === 'RUNNING'
    }, 60_000, 200)
    writeFileSync(go, '')
    expect((await waitStatus(h, id, 'SUCCEEDED')).cloud).toBe('local')
    expect((await jobLogs(h, id, ['--controller'])).text).toContain('recovering (strategy FAILOVER)')
  }, 120_000)

  test('Ctrl+C while sky jobs launch streams: it stops following, the job goes on', async () => {
    const go = join(h.dir, 'go-ctrlc')
    const p = h.spawn(['jobs', 'launch', '-y', '-n', 'ctrlc', `echo ctrlc-up; while [ ! -f ${go} ]; do sleep 0.2; done; echo ctrlc-end`])
    const reader = p.stdout.getReader()
    let seen = ''
    while (!seen.includes('ctrlc-up')) {
      const { value, done } = await reader.read()
      if (done) break
      seen += new TextDecoder().decode(value)
    }
    const id = launchedId(seen)
    p.kill('SIGINT')
    expect(await p.exited).toBe(130)
    expect(await new Response(p.stderr).text()).toContain(`keeps running.\n├── To stream its logs again: sky jobs logs ${id}`)
    expect((await jobOf(h, id))!.status).toBe('RUNNING')
    // Its log follower on the server was cancelled with it.
    await waitFor(async () => !((await authedFetch(`${h.endpoint}/api/status`).then((r) => r.json())) as { name: string }[]).some((r) => r.name === 'sky.jobs.logs'), 10_000)
    writeFileSync(go, '')
    await waitStatus(h, id, 'SUCCEEDED')
    expect((await jobLogs(h, id)).text).toContain('ctrlc-end')
  }, 90_000)

  test('max_restarts_on_errors: 1 with a task that fails once then succeeds → SUCCEEDED', async () => {
    const marker = join(h.dir, 'flaky-marker')
    const p = yaml(
      'flaky.yaml',
      `name: flaky\nresources:\n  job_recovery:\n    max_restarts_on_errors: 1\nrun: |\n  if [ -f ${marker} ]; then echo second-run-ok; else touch ${marker}; echo first-run-fails; exit 3; fi\n`,
    )
    const r = await h.sky(['jobs', 'launch', '-y', p], { timeoutMs: 90_000 })
    // Streams the job's logs to the end; exit code by the final status.
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('first-run-fails')
    expect(r.stdout).toContain('second-run-ok')
    const id = launchedId(r.stdout)
    const j = (await jobOf(h, id))!
    expect(j.status).toBe('SUCCEEDED')
    expect(j.recovery_count).toBe(1)
  }, 120_000)

  test('without restarts the job is FAILED (jobs logs exits 100); recover_on_exit_codes restarts for free', async () => {
    const fail = await h.sky(['jobs', 'launch', '-y', '-n', 'fails', 'echo about-to-fail; exit 7'], { timeoutMs: 90_000 })
    expect(fail.code).toBe(100)
    const id = launchedId(fail.stdout)
    const j = (await jobOf(h, id))!
    expect(j.status).toBe('FAILED')
    expect(j.failure_reason).toContain('exit code 7')
    expect((await jobLogs(h, id)).code).toBe(100)
    const marker = join(h.dir, 'code-marker')
    const p = yaml(
      'codes.yaml',
      `name: codes\nresources:\n  job_recovery:\n    recover_on_exit_codes: [42]\nrun: |\n  n=$(cat ${marker} 2>/dev/null || echo 0); echo $((n+1)) > ${marker}\n  if [ "$n" -lt 2 ]; then echo run-$n; exit 42; fi; echo run-$n-ok\n`,
    )
    const r = await h.sky(['jobs', 'launch', '-y', p], { timeoutMs: 90_000 })
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('run-2-ok')
    expect((await jobOf(h, launchedId(r.stdout)))!.recovery_count).toBe(2)
  }, 180_000)

  test('a 3-task pipeline with the second failing: FAILED, the third skipped, TASK column', async () => {
    const p = yaml('pipe.yaml', 'name: pipe\n---\nname: prep\nrun: echo step-prep\n---\nname: train\nrun: echo step-train; exit 1\n---\nname: eval\nrun: echo step-eval\n')
    const r = await h.sky(['jobs', 'launch', '-y', p], { timeoutMs: 90_000 })
    expect(r.code).toBe(100)
    expect(r.stdout).toContain('step-prep')
    expect(r.stdout).toContain('step-train')
    expect(r.stdout).not.toContain('step-eval')
    const id = launchedId(r.stdout)
    const tasks = (await queueJson(h)).filter((x) => x.job_id === id)
    expect(tasks.map((t) => [t.task_id, t.task_name, t.status])).toEqual([
      [0, 'prep', 'SUCCEEDED'],
      [1, 'train', 'FAILED'],
      [2, 'eval', 'CANCELLED'],
    ])
    expect(tasks.map((t) => t.cluster_name)).toEqual([`prep-${id}`, `train-${id}`, null])
    const q = await h.sky(['jobs', 'queue'])
    expect(q.stdout).toMatch(new RegExp(`^${id}\\s+pipe\\s+-\\s+.*FAILED$`, 'm'))
    expect(q.stdout).toMatch(/^ ↳\s+0\s+prep\s+1x\[CPU:1\+\]\s.*SUCCEEDED$/m)
    expect(q.stdout).toMatch(/^ ↳\s+1\s+train\s+.*FAILED$/m)
    expect(q.stdout).toMatch(/^ ↳\s+2\s+eval\s+.*CANCELLED$/m)
    expect(localClusterDirs(h)).toEqual([])
  }, 120_000)

  test('no resources fit → FAILED_PRECHECKS', async () => {
    const r = await h.sky(['jobs', 'launch', '-y', '-d', '--gpus', 'H100:8', '--infra', 'local', 'echo never'])
    expect(r.code).toBe(0)
    const j = await waitStatus(h, launchedId(out(r)), 'FAILED_PRECHECKS', 60_000)
    expect(j.failure_reason).toContain('No resources fit the task')
  }, 90_000)
})

describe('cancel in each state', () => {
  let c: TempHome
  beforeAll(async () => {
    c = await tempHome({ config: 'jobs:\n  controller:\n    max_running_jobs: 1\n' })
  })
  afterAll(async () => {
    await c.sky(['jobs', 'cancel', '-a', '-y'], { timeoutMs: 60_000 })
    await c.cleanup()
  })

  test('PENDING (no free slot), RUNNING, finished, -n and -a; queued log followers are cancelled too', async () => {
    const hold = join(c.dir, 'hold')
    const a = launchedId(out(await c.sky(['jobs', 'launch', '-y', '-d', '-n', 'runner', `echo up; while [ ! -f ${hold} ]; do sleep 0.2; done`])))
    const b = launchedId(out(await c.sky(['jobs', 'launch', '-y', '-d', '-n', 'waiter', 'echo waited'])))
    const d = launchedId(out(await c.sky(['jobs', 'launch', '-y', '-d', '-n', 'third', 'echo third'])))
    await waitStatus(c, a, 'RUNNING', 60_000)
    expect((await jobOf(c, b))!.status).toBe('PENDING')
    // sky status: after the clusters, the in-progress managed jobs (newest first) and the services.
    const st = await c.sky(['status'])
    expect(st.code).toBe(0)
    expect(st.stdout).toMatch(new RegExp(String.raw`^Clusters\n(.+\n)*runner-${a}\s+.*\sUP\s.*\n\nManaged jobs\nIn progress tasks: 2 PENDING, 1 RUNNING\nID\s+TASK\s+NAME\s+REQUESTED\s+SUBMITTED\s+TOT\. DURATION\s+JOB DURATION\s+#RECOVERIES\s+STATUS\n`))
    const rows = st.stdout.split('Managed jobs\n')[1]!.split('\n\n')[0]!.split('\n').slice(2)
    expect(rows.map((l) => l.split(/\s+/)[0])).toEqual([String(d), String(b), String(a)])
    expect(rows[0]).toMatch(new RegExp(`^${d}\\s+-\\s+third\\s+1x\\[CPU:1\\+\\]\\s+.*\\sPENDING$`))
    expect(rows[2]).toMatch(new RegExp(`^${a}\\s+-\\s+runner\\s+.*\\sRUNNING$`))
    expect(st.stdout).toEndWith('\n\nServices\nNo live services.\n')
    expect(st.stderr).toContain('* 3 managed jobs are in progress. To see all managed jobs: sky jobs queue')
    // -u adds the USER column; --no-show-managed-jobs hides the section; -o json is the cluster list only.
    expect((await c.sky(['status', '-u'])).stdout).toMatch(/\nManaged jobs\nIn progress tasks: .*\nID\s+TASK\s+NAME\s+USER\s+REQUESTED\s/)
    const hidden = await c.sky(['status', '--no-show-managed-jobs'])
    expect(hidden.stdout).not.toContain('Managed jobs')
    expect(hidden.stdout).toContain('Services\nNo live services.')
    expect(hidden.stderr).not.toContain('sky jobs queue')
    const json = JSON.parse((await c.sky(['status', '-o', 'json'])).stdout) as { name: string }[]
    expect(json.map((x) => x.name)).toEqual([`runner-${a}`])
    // Named clusters: only the clusters, as SkyPilot.
    expect((await c.sky(['status', `runner-${a}`])).stdout).not.toContain('Managed jobs')
    // A follower of the waiting job's logs: a request that would wait a long time.
    const follower = c.spawn(['jobs', 'logs', String(b)])
    await waitFor(async () => (await authedFetch(`${c.endpoint}/api/status`).then((r) => r.json()) as { name: string }[]).some((r) => r.name === 'sky.jobs.logs'), 20_000)
    const cb = await c.sky(['jobs', 'cancel', '-y', String(b)])
    expect(cb.code).toBe(0)
    expect(cb.stdout).toContain(`Cancelled managed job: ${b}`)
    expect(cb.stdout).toContain('Cancelled 1 queued request of this job.')
    expect((await jobOf(c, b))!.status).toBe('CANCELLED')
    await follower.exited
    // RUNNING: its cluster is torn down.
    const ca = await c.sky(['jobs', 'cancel', '-y', '-n', 'runner'])
    expect(ca.stdout).toContain(`Cancelled managed job: ${a}`)
    const ja = (await jobOf(c, a))!
    expect(ja.status).toBe('CANCELLED')
    expect((await c.sky(['status', '-u'])).stdout).not.toContain(`runner-${a}`)
    expect(hasLocalCluster(c, `runner-${a}`)).toBe(false)
    expect((await jobLogs(c, a)).code).toBe(103)
    // The third job got the freed slot and finished; cancelling it is a no-op.
    await waitStatus(c, d, 'SUCCEEDED', 60_000)
    const again = await c.sky(['jobs', 'cancel', '-y', String(d)])
    expect(again.code).toBe(0)
    expect(again.stdout).toContain(`Already finished: ${d}`)
    expect((await jobOf(c, d))!.status).toBe('SUCCEEDED')
    // -a: everything of mine that is unfinished.
    const e = launchedId(out(await c.sky(['jobs', 'launch', '-y', '-d', '-n', 'e', `while [ ! -f ${hold} ]; do sleep 0.2; done`])))
    const f = launchedId(out(await c.sky(['jobs', 'launch', '-y', '-d', '-n', 'f', 'echo f'])))
    await waitStatus(c, e, 'RUNNING', 60_000)
    const all = await c.sky(['jobs', 'cancel', '-a', '-y'])
    expect(all.stdout).toContain(`Cancelled managed jobs: ${f}, ${e}`)
    expect((await jobOf(c, e))!.status).toBe('CANCELLED')
    expect((await jobOf(c, f))!.status).toBe('CANCELLED')
    expect(hasLocalCluster(c, `e-${e}`)).toBe(false)
    const none = await c.sky(['status'])
    expect(none.stdout).toContain('\n\nManaged jobs\nNo in-progress managed jobs.\n')
    expect(none.stderr).not.toContain('sky jobs queue')
  }, 180_000)

  test('the scheduler starts waiting jobs by priority, then in submission order', async () => {
    const gate = join(c.dir, 'gate')
    const blocker = launchedId(out(await c.sky(['jobs', 'launch', '-y', '-d', '-n', 'blocker', `while [ ! -f ${gate} ]; do sleep 0.2; done`])))
    await waitStatus(c, blocker, 'RUNNING', 60_000)
    const low1 = launchedId(out(await c.sky(['jobs', 'launch', '-y', '-d', '-n', 'low-1', 'echo low-1'])))
    const low2 = launchedId(out(await c.sky(['jobs', 'launch', '-y', '-d', '-n', 'low-2', 'echo low-2'])))
    const high = launchedId(out(await c.sky(['jobs', 'launch', '-y', '-d', '-n', 'high', '--priority', '10', 'echo high'])))
    writeFileSync(gate, '')
    const started = async (id: number) => (await waitStatus(c, id, 'SUCCEEDED', 60_000)).start_at!
    const [h1, l1, l2] = [await started(high), await started(low1), await started(low2)]
    expect(h1).toBeLessThan(l1)
    expect(l1).toBeLessThan(l2)
  }, 120_000)
})
