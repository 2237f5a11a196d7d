// Cancel, daemon crashes and restarts, log following, autostop.
import { afterEach, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { layout } from '../../../src/core/agent/layout'
import { afterLaterJob, BUN, daemonStepAfter, ENTRY, job, makeCluster, pidsWithArgs, pidsWithEnv, waitUntil, type TestCluster } from './harness'

let c: TestCluster | undefined
afterEach(async () => {
  await c?.cleanup()
  c = undefined
})

function daemonPid(cl: TestCluster): Promise<number> {
  return cl.agent(['health']).then((r) => r.json.daemon.pid as number)
}

describe('agent lifecycle', () => {
  test('cancel kills the whole process tree, including processes that left the group', async () => {
    c = await makeCluster()
    await c.agent(['init'], c.spec)
    const tag = `sleep 876.${Date.now() % 1000}`
    const run = `${tag} & ${tag} & (setsid ${tag} > /dev/null 2>&1 &); bash -c '${tag}' & wait`
    const id = await c.submit(job(run))
    await c.waitStatus(id, ['RUNNING'])
    await waitUntil(() => pidsWithArgs(tag).length >= 4)
    const r = await c.agent(['cancel', '--ids', String(id)])
    expect(r.code).toBe(0)
    expect(r.json.cancelled).toEqual([id])
    expect(pidsWithArgs(tag)).toEqual([])
    expect(pidsWithEnv(c.homes[0]!)).toEqual([])
    const j = await c.job(id)
    expect(j.status).toBe('CANCELLED')
    // Once the daemon has run a later job it has seen the killed ranks end: still CANCELLED.
    await afterLaterJob(c)
    expect((await c.job(id)).status).toBe('CANCELLED')
    const again = await c.agent(['cancel', '--ids', `${id},77`])
    expect(again.json.cancelled).toEqual([])
    expect(again.json.skipped.map((s: { reason: string }) => s.reason)).toEqual(['already CANCELLED', 'not found'])
  })

  test('cancel of a pending job: it never starts', async () => {
    c = await makeCluster({ capacity: { cpus: 1, memoryGb: 1, gpus: null } })
    await c.agent(['init'], c.spec)
    // The blocker holds the only CPU until the test lets it go, so the second job stays PENDING.
    const release = join(c.homes[0]!, 'release-blocker')
    const blocker = await c.submit(job(`while [ ! -f "${release}" ]; do sleep 0.05; done`, { demand: { cpus: 1 } }))
    await c.waitStatus(blocker, ['RUNNING'])
    const pending = await c.submit(job('echo ran', { demand: { cpus: 1 } }))
    expect((await c.agent(['cancel', '--ids', String(pending)])).json.cancelled).toEqual([pending])
    writeFileSync(release, '')
    await c.waitStatus(blocker, ['SUCCEEDED'])
    // A job submitted after it needs the same CPU and runs: the cancelled one was skipped, not just late.
    await afterLaterJob(c, { demand: { cpus: 1 } })
    expect((await c.job(pending)).status).toBe('CANCELLED')
    expect(c.log(pending)).toBe('')
  })

  test('daemon SIGKILLed mid-job: jobs keep running and a new daemon adopts them', async () => {
    c = await makeCluster()
    await c.agent(['init'], c.spec)
    const h = c.homes[0]!
    const keeps = await c.submit(job(`echo start; while [ ! -f "${h}/release" ]; do sleep 0.05; done; echo end; exit 5`))
    const finishesWhileDown = await c.submit(job(`while [ ! -f "${h}/release-early" ]; do sleep 0.05; done; exit 0`))
    const vanishTag = `sleep 555.${process.pid}${Date.now() % 1000}`
    const vanishes = await c.submit(job(vanishTag))
    for (const id of [keeps, finishesWhileDown, vanishes]) await c.waitStatus(id, ['RUNNING'])

    const pid = await daemonPid(c)
    process.kill(pid, 'SIGKILL')
    await waitUntil(() => pidsWithArgs(`daemon --root ${c!.root}`).length === 0)
    await Bun.write(`${h}/release-early`, '')
    for (const p of pidsWithArgs(vanishTag, true)) process.kill(p, 'SIGKILL')
    // The job ends while no daemon runs (its wrapper writes the exit code file)...
    const exitFile = layout(c.root).exitFile(finishesWhileDown, 'run', 0)
    await waitUntil(() => existsSync(exitFile), 10_000, 20, `${exitFile} to be written`)
    // ...and nothing watches the jobs now: their statuses are unchanged.
    expect((await c.job(finishesWhileDown)).status).toBe('RUNNING')

    // Any command that needs the daemon brings it back (here: init, as a restart would).
    const again = await c.agent(['init'], c.spec)
    expect(again.json.daemonPid).not.toBe(pid)
    expect((await c.waitStatus(finishesWhileDown, ['SUCCEEDED', 'FAILED', 'FAILED_DRIVER'])).status).toBe('SUCCEEDED')
    const lost = await c.waitStatus(vanishes, ['SUCCEEDED', 'FAILED', 'FAILED_DRIVER'])
    expect(lost.status).toBe('FAILED')
    expect(lost.exitCode).toBe(137)
    expect((await c.job(keeps)).status).toBe('RUNNING')
    await Bun.write(`${h}/release`, '')
    const k = await c.waitStatus(keeps, ['SUCCEEDED', 'FAILED', 'FAILED_DRIVER'])
    expect(k.status).toBe('FAILED')
    expect(k.exitCode).toBe(5)
    expect(c.log(keeps)).toMatch(/start\n.*end\n$/)
  })

  test('a job whose processes vanish without an exit code while the daemon is down is FAILED_DRIVER', async () => {
    c = await makeCluster()
    await c.agent(['init'], c.spec)
    const id = await c.submit(job(`sleep 444.${Date.now() % 1000}`))
    await c.waitStatus(id, ['RUNNING'])
    process.kill(await daemonPid(c), 'SIGKILL')
    await waitUntil(() => pidsWithArgs(`daemon --root ${c!.root}`).length === 0)
    // Kill the wrapper too (as an OOM kill or reboot would): no exit code gets written.
    for (const p of pidsWithEnv(c.homes[0]!)) process.kill(p, 'SIGKILL')
    await waitUntil(() => pidsWithEnv(c!.homes[0]!).length === 0)
    await c.agent(['init'], c.spec)
    const j = await c.waitStatus(id, ['FAILED_DRIVER', 'FAILED', 'SUCCEEDED'])
    expect(j.status).toBe('FAILED_DRIVER')
  })

  test('logs --follow streams until the job ends and exits with the job code', async () => {
    c = await makeCluster()
    await c.agent(['init'], c.spec)
    const id = await c.submit(job('for i in 1 2 3 4 5; do echo line$i; sleep 0.1; done'))
    const f = await c.agent(['logs', '--job', String(id), '--follow'])
    expect(f.code).toBe(0)
    expect(f.stdout.match(/line\d/g)).toEqual(['line1', 'line2', 'line3', 'line4', 'line5'])
    const j = await c.job(id)
    expect(j.status).toBe('SUCCEEDED')

    const failing = await c.submit(job('sleep 0.2; echo bye; exit 1'))
    const ff = await c.agent(['logs', '--follow'])
    expect(ff.code).toBe(100)
    expect(ff.stdout).toContain('bye')

    const cancelled = await c.submit(job('echo following; sleep 30'))
    await c.waitStatus(cancelled, ['RUNNING'])
    const follower = Bun.spawn([BUN, ENTRY, 'logs', '--root', c.root, '--job', String(cancelled), '--follow'], { env: c.env, stdout: 'pipe', stderr: 'pipe' })
    // The follower is attached once it has printed the job's first line; then cancel.
    const reader = follower.stdout.getReader()
    let seen = ''
    await waitUntil(async () => (seen += new TextDecoder().decode((await reader.read()).value ?? new Uint8Array())).includes('following'), 10_000, 0, 'the follower to print the first line')
    reader.releaseLock()
    await c.agent(['cancel', '--ids', String(cancelled)])
    expect(await follower.exited).toBe(103)
    expect((await c.agent(['logs', '--job', String(failing)])).code).toBe(100)
  })

  test('logs of an unfinished job without --follow exits NOT_FINISHED', async () => {
    c = await makeCluster()
    await c.agent(['init'], c.spec)
    const id = await c.submit(job('echo partial; sleep 30'))
    await waitUntil(() => c!.log(id).includes('partial'))
    const r = await c.agent(['logs', '--job', String(id)])
    expect(r.code).toBe(101)
    expect(r.stdout).toContain('partial')
  })

  test('autostop fires onAutostop after the idle minutes, not while a job runs', async () => {
    c = await makeCluster({ minuteMs: 300 })
    const marker = join(c.dir, 'autostopped')
    c.spec.onAutostop = `echo "down=$SKY_AUTOSTOP_DOWN cluster=$SKY_CLUSTER_NAME" > ${marker}`
    await c.agent(['init'], c.spec)
    const release = join(c.dir, 'release')
    const id = await c.submit(job(`while [ ! -f ${release} ]; do sleep 0.02; done`))
    await c.waitStatus(id, ['RUNNING'])
    const set = await c.agent(['autostop', '--idle-minutes', '1', '--down', '--wait-for', 'jobs'])
    expect(set.json.autostop).toMatchObject({ idleMinutes: 1, down: true, waitFor: 'jobs' })
    // The daemon has looked again after a whole idle minute (300 ms) while the job runs: no firing.
    await daemonStepAfter(c, set.json.autostop.setAt + 300)
    expect(existsSync(marker)).toBe(false)
    await Bun.write(release, '')
    const done = await c.waitStatus(id, ['SUCCEEDED'])
    await waitUntil(() => existsSync(marker), 10_000, 20, 'the autostop hook to run')
    expect(readFileSync(marker, 'utf8')).toBe('down=1 cluster=test-cluster\n')
    await waitUntil(async () => (await c!.agent(['health'])).json.autostop.hookExitCode === 0)
    const h = await c.agent(['health'])
    expect(h.json.autostop).toMatchObject({ idleMinutes: 1, down: true })
    // It fired a whole idle minute after the job ended (the last activity), not before.
    expect(h.json.autostop.firedAt).toBeGreaterThanOrEqual(done.endedAt! + 300)
  })

  test('autostop -1 cancels it', async () => {
    c = await makeCluster({ minuteMs: 100 })
    const marker = join(c.dir, 'autostopped')
    c.spec.onAutostop = `touch ${marker}`
    await c.agent(['init'], c.spec)
    // 30 minutes of 100 ms: room for the second agent call to land first on a loaded machine.
    const set = await c.agent(['autostop', '--idle-minutes', '30', '--wait-for', 'none'])
    const off = await c.agent(['autostop', '--idle-minutes', '-1'])
    expect(off.json.autostop.idleMinutes).toBe(-1)
    expect(existsSync(marker)).toBe(false)
    // Past the moment it would have fired (30 x 100 ms), the daemon has looked again: nothing fired.
    await daemonStepAfter(c, set.json.autostop.setAt + 3000)
    expect(existsSync(marker)).toBe(false)
    expect((await c.agent(['health'])).json.autostop.firedAt).toBeNull()
  })
})
