// The execution boundary of a deployed server (the compiled binary, three users), attacked from a
// plain user account the way the issue found it broken: by default the server runs no job on its
// own machine; when an admin allows it, each sky user's jobs run as their own unprivileged Unix
// user with a clean environment. The probe task then finds no server variable in its environment
// or in any /proc/*/environ it can read, cannot read SKY_HOME (state.db, keys, tokens) nor change
// a role with sqlite3, and another user's secret is not found anywhere: not in the probe's view,
// not in the state database, not in the agent's database once the job ended.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { tempHome, waitFor, type TempHome } from '../harness'
import { canMakeUsers } from '../harness/os-user'

const can = canMakeUsers()
const tag = Math.random().toString(36).slice(2, 7)
const ALICE = `alice${tag}`
const BOB = `bob${tag}`
const ADMIN_PW = `adminpw-${crypto.randomUUID()}`
const BOB_SECRET = `bob-secret-${crypto.randomUUID()}`
let h: TempHome
let server: Bun.Subprocess
let sandbox: string
const as = (who: string, args: string[], o: { timeoutMs?: number } = {}) =>
  h.sky(args, { env: { SKYPILOT_API_SERVER_ENDPOINT: `http://${who}@127.0.0.1:${h.port}` }, timeoutMs: o.timeoutMs ?? 120_000 })
const out = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

async function startDeployed(config: string): Promise<void> {
  h.config(config)
  server = h.spawn(['api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(h.port)], {
    env: { SKYPILOT_INITIAL_ADMIN: `admin:${ADMIN_PW}`, SKYPILOT_DB_CONNECTION_URI_HINT: 'postgresql://not-for-jobs' },
  })
  await waitFor(() => fetch(`${h.endpoint}/api/health`).then((r) => r.ok, () => false), 20_000)
}

async function stopDeployed(): Promise<void> {
  server.kill('SIGTERM')
  await server.exited
}

beforeAll(async () => {
  if (!can) return
  h = await tempHome()
  sandbox = mkdtempSync(join(tmpdir(), 'sky-sandbox-'))
})

afterAll(async () => {
  if (!can) return
  await as(`admin:${ADMIN_PW}`, ['down', '-a', '-u', '-y']).catch(() => {})
  server?.kill('SIGKILL')
  await h.cleanup()
  // The sandbox users this test's sky users got.
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const name = line.split(':')[0]!
    if (name.startsWith('sky-') && line.includes(`sky sandbox for user`) && line.includes(sandbox)) {
      Bun.spawnSync(['pkill', '-KILL', '-u', name])
      Bun.spawnSync(['userdel', name])
    }
  }
  rmSync(sandbox, { recursive: true, force: true })
})

describe.skipIf(!can)('execution boundary of a deployed server', () => {
  test('by default the local infra is off: no job runs on the server machine', async () => {
    await startDeployed('')
    for (const [u, pw] of [
      [ALICE, 'alicepw'],
      [BOB, 'bobpw'],
    ]) {
      expect((await as(`admin:${ADMIN_PW}`, ['users', 'create', u!, '--password', pw!])).code).toBe(0)
    }
    const r = await as(`${ALICE}:alicepw`, ['launch', '-y', '-c', 'nope', '--infra', 'local', '--', 'id'])
    expect(r.code).not.toBe(0)
    expect(out(r)).toContain('local.allow_on_deploy')
    const check = await as(`${ALICE}:alicepw`, ['check', 'local'])
    expect(out(check)).toContain('local.allow_on_deploy')
    await stopDeployed()
  }, 120_000)

  test("allowed by an admin: the probe task finds nothing of the server's and changes nothing", async () => {
    await startDeployed(`local:\n  allow_on_deploy: true\n  sandbox_dir: ${sandbox}\n`)
    // bob runs a long job with a secret.
    const bobJob = await as(`${BOB}:bobpw`, ['launch', '-y', '-d', '-c', 'bobc', '--cpus', '1', '--secret', `BOB_SECRET=${BOB_SECRET}`, '--', 'sleep 600'])
    expect(bobJob.code).toBe(0)

    const probe = [
      'echo "== id"; id -un; id -u',
      'echo "== env"; env',
      'echo "== environs"; for f in /proc/[0-9]*/environ; do tr "\\0" "\\n" < "$f" 2>/dev/null; done | grep -E "SKYPILOT_INITIAL_ADMIN|SKYPILOT_DB|BOB_SECRET|SKY_HOME" || echo none-readable',
      `echo "== skyhome"; ls ${h.dir} 2>&1; cat ${join(h.dir, 'state.db')} 2>&1 | head -c 200; cat ${join(h.dir, 'api_server', 'secrets.key')} 2>&1`,
      `echo "== sqlite"; sqlite3 ${join(h.dir, 'state.db')} "UPDATE users SET role='admin' WHERE name='${ALICE}'" 2>&1`,
      `echo "== others"; ls ${sandbox} 2>&1; cat ${sandbox}/*/node-0/* 2>&1 | head -c 200`,
    ].join('; ')
    const r = await as(`${ALICE}:alicepw`, ['launch', '-y', '-c', 'probe', '--cpus', '1', '--', probe], { timeoutMs: 180_000 })
    const text = out(r)
    if (process.env.SHOW_PROBE) console.log(text)
    expect(r.code).toBe(0)
    // Alice's job runs as her own unprivileged user.
    const idLine = text.split('== id')[1]!.split('\n').filter((l) => l.includes(') '))
    expect(idLine[0]).toMatch(/sky-[0-9a-f]{8}$/)
    expect(Number(idLine[1]!.split(') ')[1])).toBeGreaterThan(0)
    for (const leak of [ADMIN_PW, 'SKYPILOT_INITIAL_ADMIN', 'not-for-jobs', BOB_SECRET, 'SKY_HOME=']) expect(text).not.toContain(leak)
    expect(text).toContain('Permission denied')
    expect(text).not.toContain('SQLite format 3')
    // Nothing changed: alice is still a user.
    const me = JSON.parse((await as(`${ALICE}:alicepw`, ['api', 'info', '-o', 'json'])).stdout)
    expect(me.user.name).toBe(ALICE)
    const list = JSON.parse((await as(`admin:${ADMIN_PW}`, ['users', 'list', '-o', 'json'])).stdout) as { name: string; role: string }[]
    expect(list.find((u) => u.name === ALICE)!.role).toBe('user')

    // Node directories belong to their users, outside SKY_HOME.
    const dirs = readdirSync(sandbox).filter((d) => !d.startsWith('.'))
    expect(dirs.length).toBeGreaterThanOrEqual(2)
    const owners = new Set(dirs.map((d) => statSync(join(sandbox, d, 'node-0')).uid))
    expect(owners.size).toBe(2)

    // bob's secret: never in clear in the server's files, and gone from the agent's once his job ends.
    expect((await as(`${BOB}:bobpw`, ['cancel', 'bobc', '-a', '-y'])).code).toBe(0)
    await waitFor(async () => out(await as(`${BOB}:bobpw`, ['queue', 'bobc'])).includes('CANCELLED'), 60_000)
    const grep = (root: string) => {
      const hits: string[] = []
      const walk = (d: string) => {
        for (const e of existsSync(d) ? readdirSync(d, { withFileTypes: true }) : []) {
          const p = join(d, e.name)
          if (e.isDirectory()) walk(p)
          else if (e.isFile() && readFileSync(p).includes(Buffer.from(BOB_SECRET))) hits.push(p)
        }
      }
      walk(root)
      return hits
    }
    expect(grep(h.dir)).toEqual([])
    expect(grep(sandbox)).toEqual([])
    await stopDeployed()
  }, 400_000)
})
