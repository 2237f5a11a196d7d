// Managed jobs on a deployed API server with users: each user sees their own jobs (all with -u),
// a non-admin cannot cancel (or read the logs of) another user's job and nothing changes, an
// admin can.
import { afterAll, beforeAll, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { join } from 'node:path'
import { mkdirSync, writeFileSync } from 'node:fs'
import { tempHome, waitFor, type TempHome } from '../harness'
import { launchedId } from '../harness/jobs'
import { localSandbox, type LocalSandbox } from '../harness/sandbox'

let h: TempHome
let server: Bun.Subprocess
let sandbox: LocalSandbox
const as = (cred: string, args: string[]) => h.sky(args, { env: { SKYPILOT_API_SERVER_ENDPOINT: `http://${cred}@127.0.0.1:${h.port}` } })
const ADMIN = 'admin:adminpw'
const ALICE = 'alice:alicepw'
const BOB = 'bob:bobpw'

beforeAll(async () => {
  h = await tempHome()
  // A deployed server runs local jobs only when allowed, as a sandbox account.
  sandbox = await localSandbox()
  h.config(sandbox.config)
  server = h.spawn(['api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(h.port)], { env: { SKYPILOT_INITIAL_ADMIN: ADMIN } })
  await waitFor(() => fetch(`${h.endpoint}/api/health`).then((r) => r.ok, () => false), 20_000)
  for (const cred of [ALICE, BOB]) {
    const [name, pw] = cred.split(':')
    expect((await as(ADMIN, ['users', 'create', name!, '--password', pw!])).code).toBe(0)
  }
})

afterAll(async () => {
  await as(ADMIN, ['jobs', 'cancel', '-u', '-y'])
  server?.kill('SIGTERM')
  await server?.exited
  await h.cleanup()
  await sandbox?.cleanup()
})

const jobs = async (cred: string, args: string[] = []) => JSON.parse((await as(cred, ['jobs', 'queue', '-o', 'json', ...args])).stdout) as { job_id: number; status: string; user_name: string }[]

test("a non-admin cannot cancel another user's job (nothing changes); an admin can", async () => {
  const go = join(sandbox.dir, 'go')
  const r = await as(ALICE, ['jobs', 'launch', '-y', '-d', '-n', 'alices', `echo alice-job; while [ ! -f ${go} ]; do sleep 0.2; done`])
  expect(r.code).toBe(0)
  const id = launchedId(r.stdout)
  await waitFor(async () => (await jobs(ALICE)).some((j) => j.job_id === id && j.status === 'RUNNING'), 60_000, 200)
  // Bob sees only his own jobs by default, and Alice's with -u (USER column).
  expect(await jobs(BOB)).toEqual([])
  expect((await jobs(BOB, ['-u'])).map((j) => [j.job_id, j.user_name])).toEqual([[id, 'alice']])
  expect((await as(BOB, ['jobs', 'queue', '-u'])).stdout).toMatch(new RegExp(`^${id}\\s+-\\s+alices\\s+alice\\s`, 'm'))
  for (const args of [['jobs', 'cancel', '-y', String(id)], ['jobs', 'cancel', '-y', '-u'], ['jobs', 'logs', '--no-follow', String(id)]]) {
    const denied = await as(BOB, args)
    expect(denied.code).toBe(5)
    expect(denied.stderr).toMatch(/belongs to user 'alice'|Only an admin/)
  }
  // Nothing changed: still RUNNING and no cancel recorded for the controller (the store says so
  // at once: a refused cancel is refused before anything is written).
  expect((await jobs(ALICE)).find((j) => j.job_id === id)!.status).toBe('RUNNING')
  const db = new Database(join(h.dir, 'state.db'), { readonly: true })
  expect(db.query('SELECT cancel_requested FROM managed_jobs WHERE job_id = ?').get(id)).toEqual({ cancel_requested: 0 })
  db.close()
  expect((await as(ALICE, ['jobs', 'logs', '--no-follow', String(id)])).stdout).toContain('alice-job')
  // The admin may.
  const ok = await as(ADMIN, ['jobs', 'cancel', '-y', String(id)])
  expect(ok.code).toBe(0)
  expect(ok.stdout).toContain(`Cancelled managed job: ${id}`)
  expect((await jobs(ALICE)).find((j) => j.job_id === id)!.status).toBe('CANCELLED')
  writeFileSync(go, '')
}, 120_000)

test("a deployed server runs a job's workdir from the client's upload (its own files are never read)", async () => {
  const wd = join(h.dir, 'client-wd')
  mkdirSync(wd, { recursive: true })
  writeFileSync(join(wd, 'data.txt'), 'uploaded-content-42')
  const r = await as(ALICE, ['jobs', 'launch', '-y', '-n', 'withwd', '--workdir', wd, 'cat data.txt'])
  expect(r.code).toBe(0)
  expect(r.stdout).toContain('uploaded-content-42')
}, 120_000)
