// Crash safety of launches: 20 concurrent `sky launch` requests, the API server SIGKILLed at one of
// three moments (right after they were submitted, while clusters are being provisioned, while
// jobs run), then restarted. Every request must end (SUCCEEDED: interrupted launches are resumed,
// not failed), every job must have run exactly once (each appends one line to a shared file), no
// cluster may stay INIT, and after `down` no process of any job is left.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempHome, waitFor, type TempHome } from '../harness'

let h: TempHome
let ranFile: string
const N = 20
const RUN = Math.random().toString(36).slice(2, 8)
const pgrep = (pattern: string) => Bun.spawnSync(['pgrep', '-f', pattern]).stdout.toString().trim()

beforeAll(async () => {
  h = await tempHome()
  ranFile = join(h.dir, 'ran.txt')
  expect((await h.sky(['api', 'start'])).code).toBe(0)
})
afterAll(async () => {
  await h.sky(['down', '-a', '-y'], { timeoutMs: 120_000 })
  await h.cleanup()
})

async function statuses(ids: string[]): Promise<Record<string, string>> {
  const r = await h.fetch(`/api/status?all_status=true&all_users=true&request_ids=${ids.join(',')}`)
  return Object.fromEntries(((await r.json()) as { request_id: string; status: string }[]).map((x) => [x.request_id, x.status]))
}

/** Failed requests with their error, to say why in the assertion. */
async function failures(ids: string[]): Promise<string[]> {
  const out: string[] = []
  for (const id of ids) {
    const g = await h.fetch(`/api/get?request_id=${id}`)
    const r = (await g.json()) as { status: string; error?: { message: string } }
    if (r.status !== 'SUCCEEDED') out.push(`${id.slice(0, 8)} ${r.status}: ${r.error?.message ?? ''}\n${(await h.sky(['api', 'logs', id.slice(0, 8), '--no-follow'])).stdout.slice(-1500)}`)
  }
  const hostLog = join(h.dir, 'local', '.agent-host', 'host.log')
  if (out.length && existsSync(hostLog)) out.push(`agent host log:\n${readFileSync(hostLog, 'utf8').slice(-3000)}`)
  return out
}

function ranLines(): string[] {
  return existsSync(ranFile) ? readFileSync(ranFile, 'utf8').split('\n').filter(Boolean) : []
}

/** Whether a cluster is INIT now, asked of the server directly (a CLI process per poll is slow on a busy machine). */
async function anyInit(): Promise<boolean> {
  const r = await h.fetch('/api/dashboard/clusters')
  return r.ok && ((await r.json()) as { status: string }[]).some((c) => c.status === 'INIT')
}

async function killServer(): Promise<void> {
  const pid = h.serverPid()!
  process.kill(pid, 'SIGKILL')
  await waitFor(() => {
    try {
      process.kill(pid, 0)
      return false
    } catch {
      return true
    }
  }, 10_000, 20)
}

type Moment = 'after-submit' | 'mid-provision' | 'mid-run'

async function round(tag: string, moment: Moment): Promise<void> {
  // Unique to this run: the check for leftover processes looks for it.
  const marker = `crash-${tag}-${RUN}`
  const names = Array.from({ length: N }, (_, i) => `${tag}${i}`)
  const submitted = await Promise.all(
    names.map((n) => h.sky(['launch', '-y', '--async', '-c', n, '--cpus', '0.05', '--', `echo ${marker}-${n} >> ${ranFile}; sleep 1.5 # ${marker}`])),
  )
  const ids = submitted.map((r) => {
    expect(r.code).toBe(0)
    return /Submitted sky.launch: ([0-9a-f-]{36})/.exec(r.stdout)![1]!
  })
  if (moment === 'mid-provision') await waitFor(anyInit, 30_000, 10)
  if (moment === 'mid-run') await waitFor(() => ranLines().some((l) => l.startsWith(marker)), 30_000, 10)
  await killServer()
  // Any command starts the server again; it resumes what was interrupted.
  expect((await h.sky(['api', 'start'])).code).toBe(0)
  await waitFor(async () => Object.values(await statuses(ids)).every((s) => ['SUCCEEDED', 'FAILED', 'CANCELLED'].includes(s)), 150_000, 250)
  expect(await failures(ids)).toEqual([])
  // Each job ran exactly once.
  const lines = ranLines().filter((l) => l.startsWith(marker))
  for (const n of names) expect(lines.filter((l) => l === `${marker}-${n}`)).toHaveLength(1)
  // Nothing stuck in INIT once the server looked.
  const st = (await h.sky(['status', '--refresh'], { timeoutMs: 60_000 })).stdout
  expect(st).not.toMatch(/\bINIT\b/)
  for (const n of names) expect(st).toMatch(new RegExp(`\\b${n}\\s+Local.*\\bUP\\b`))
  const down = await h.sky(['down', '-y', ...names], { timeoutMs: 120_000 })
  if (down.code !== 0) throw new Error(`down failed (${down.code}):\n${down.stdout}\n${down.stderr}`)
  expect(pgrep(marker)).toBe('')
}

describe('API server killed during 20 concurrent launches', () => {
  test('right after they were submitted', () => round('as', 'after-submit'), 240_000)
  test('while clusters are being provisioned', () => round('mp', 'mid-provision'), 240_000)
  test('while their jobs run', () => round('mr', 'mid-run'), 240_000)
})
