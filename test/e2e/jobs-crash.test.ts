// The API server is SIGKILLed while 20 managed jobs are at different stages (waiting for a slot,
// launching, running, tearing down, done). After the restart every job reaches the right final
// state, no task ran twice (its output lines are counted), and no cluster is left behind.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pidAlive, tempHome, waitFor, type TempHome } from '../harness'
import { count, jobLogs, launchedId, localClusterDirs, queueJson, TERMINAL, waitAllFinal } from '../harness/jobs'

let h: TempHome

beforeAll(async () => {
  h = await tempHome({ config: 'jobs:\n  controller:\n    max_running_jobs: 6\n    max_concurrent_launches: 3\n    local_status_check_seconds: 0.3\n' })
})
afterAll(async () => {
  await h.sky(['jobs', 'cancel', '-a', '-y'], { timeoutMs: 60_000 })
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
})

const FAILING = new Set([5, 12])
const PIPELINE = 15

test('SIGKILL with 20 jobs in flight: every job finishes right after the restart, none ran twice, no cluster left', async () => {
  const pipe = join(h.dir, 'pipe.yaml')
  writeFileSync(pipe, 'name: pipe\n---\nname: first\nrun: echo start-15a; sleep 1; echo end-15a\n---\nname: second\nrun: echo start-15b; sleep 1; echo end-15b\n')
  for (let i = 1; i <= 20; i++) {
    const args = i === PIPELINE ? [pipe] : [`echo start-${i}; sleep ${(i % 4) * 0.7}; echo end-${i}${FAILING.has(i) ? '; exit 1' : ''}`]
    const r = await h.sky(['jobs', 'launch', '-y', '--async', '-n', `crash-${i}`, ...args])
    expect(r.code).toBe(0)
    expect(launchedId(r.stdout)).toBe(i)
  }
  // Kill the server once jobs are spread over the stages.
  const stages = await waitFor(async () => {
    const q = await queueJson(h)
    const by = (s: string) => q.filter((j) => j.status === s).length
    return by('RUNNING') >= 2 && by('PENDING') >= 2 && q.some((j) => j.status === 'SUCCEEDED') ? q : undefined
  }, 60_000, 50)
  const pid = h.serverPid()!
  process.kill(pid, 'SIGKILL')
  await waitFor(() => !pidAlive(pid), 10_000)
  expect(new Set(stages.map((j) => j.status)).size).toBeGreaterThanOrEqual(3)

  // The next command starts a fresh server, which resumes every job from the store.
  const q = await waitAllFinal(h, 150_000).catch(async (e) => {
    // Say what was stuck: the unfinished jobs, their controller logs, the server's log.
    const left = (await queueJson(h)).filter((j) => !TERMINAL.includes(j.status))
    for (const j of left) {
      console.error(JSON.stringify(j), '\n', (await jobLogs(h, j.job_id, ['--controller'])).text)
      const dir = localClusterDirs(h).find((d) => d.startsWith(`${j.cluster_name}-`)) ?? '-'
      const db = join(h.dir, 'local', dir, 'node-0', '.sky-runtime', 'agent.db')
      if (existsSync(db)) {
        const a = new Database(db, { readonly: true })
        console.error('agent jobs:', JSON.stringify(a.query('SELECT id, status, exit_code, phase FROM jobs').all()), 'daemon:', JSON.stringify(a.query('SELECT * FROM daemon').all()))
        a.close()
      }
    }
    console.error(readFileSync(join(h.dir, 'api_server', 'server.log'), 'utf8').slice(-4000))
    throw e
  })
  for (let i = 1; i <= 20; i++) {
    const tasks = q.filter((j) => j.job_id === i)
    if (i === PIPELINE) {
      expect(tasks.map((t) => t.status)).toEqual(['SUCCEEDED', 'SUCCEEDED'])
      const text = (await jobLogs(h, i)).text
      for (const l of ['start-15a', 'end-15a', 'start-15b', 'end-15b']) expect(count(text, `${l}\n`)).toBe(1)
      continue
    }
    expect(tasks.map((t) => [i, t.status])).toEqual([[i, FAILING.has(i) ? 'FAILED' : 'SUCCEEDED']])
    expect(tasks[0]!.recovery_count).toBe(0)
    const text = (await jobLogs(h, i)).text
    expect([i, count(text, `start-${i}\n`), count(text, `end-${i}\n`)]).toEqual([i, 1, 1])
  }
  expect((await h.sky(['status', '-u'])).stdout).toContain('No existing clusters.')
  expect(localClusterDirs(h)).toEqual([])
}, 240_000)
