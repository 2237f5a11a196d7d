// A deployed API server (`sky api start --deploy`) run from the compiled binary on 127.0.0.1:
// login with a password or a service-account token, refused credentials (none, wrong, revoked,
// expired), rate limiting that forwarded-for headers cannot dodge, and ownership of clusters and
// requests between users.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { tempHome, waitFor, type TempHome } from '../harness'
import { localSandbox, type LocalSandbox } from '../harness/sandbox'

let h: TempHome
let server: Bun.Subprocess
let base: string
const url = (cred: string) => `http://${cred}@127.0.0.1:${h.port}`
const basic = (cred: string) => 'Basic ' + Buffer.from(cred).toString('base64')
const as = (cred: string | null, args: string[], env: Record<string, string> = {}) =>
  h.sky(args, { env: { SKYPILOT_API_SERVER_ENDPOINT: cred ? url(cred) : base, ...env } })

let sandbox: LocalSandbox
beforeAll(async () => {
  h = await tempHome()
  // Jobs on this machine run as a sandbox account (the deployed server's local policy).
  sandbox = await localSandbox()
  h.config(sandbox.config)
  base = h.endpoint
  server = h.spawn(['api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(h.port)], {
    env: { SKYPILOT_INITIAL_ADMIN: 'admin:adminpw' },
  })
  await waitFor(() => fetch(`${base}/api/health`).then((r) => r.ok, () => false), 20_000)
  for (const [name, pw] of [
    ['alice', 'alicepw'],
    ['bob', 'bobpw'],
  ]) {
    const r = await as('admin:adminpw', ['users', 'create', name!, '--password', pw!])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
  }
})

afterAll(async () => {
  await as('admin:adminpw', ['down', '-y', 'alice-c'])
  server?.kill('SIGTERM')
  await server?.exited
  await h.cleanup()
  await sandbox?.cleanup()
})

describe('credentials', () => {
  test('no credentials: every route but /api/health is refused with 401, CLI exits 5', async () => {
    const health = await fetch(`${base}/api/health`)
    expect(health.status).toBe(200)
    const hj = await health.json()
    expect(hj.user).toBeUndefined()
    expect(hj.deploy).toBe(true)
    for (const [method, path] of [
      ['GET', '/api/status'],
      ['GET', '/api/get?request_id=x'],
      ['POST', '/status'],
      ['POST', '/launch'],
      ['GET', '/users'],
    ]) {
      const r = await fetch(base + path, { method, headers: { 'content-type': 'application/json' }, body: method === 'POST' ? '{}' : undefined })
      expect(r.status).toBe(401)
      expect(r.headers.get('www-authenticate')).toContain('Basic')
      expect((await r.json()).error.code).toBe('AUTH_REQUIRED')
    }
    // The dashboard's files load without credentials (its API calls then log in).
    expect((await fetch(`${base}/dashboard`)).status).toBe(200)
    const quiet = await fetch(`${base}/api/status`, { headers: { 'x-requested-with': 'XMLHttpRequest' } })
    expect(quiet.status).toBe(401)
    expect(quiet.headers.get('www-authenticate')).toBeNull()
    const cli = await as(null, ['status'])
    expect(cli.code).toBe(5)
    expect(cli.stderr).toContain('requires authentication')
    expect(cli.stderr).toContain('sky api login')
  })

  test('wrong password is refused (exit 5); right one shows the user', async () => {
    const bad = await as('alice:nope', ['api', 'info'])
    expect(bad.code).toBe(5)
    expect(bad.stderr).toContain('Invalid user name or password')
    const unknown = await as('mallory:x', ['status'])
    expect(unknown.code).toBe(5)
    const ok = await as('alice:alicepw', ['api', 'info'])
    expect(ok.code).toBe(0)
    expect(ok.stdout).toMatch(/└── User: alice \([0-9a-f]{8}\)/)
  })

  test('headers naming a user are ignored: identity comes from credentials only', async () => {
    const r = await fetch(`${base}/users/me`, { headers: { authorization: basic('bob:bobpw'), 'x-sky-user-name': 'admin', 'x-sky-user-id': '21232f29' } })
    expect((await r.json()).name).toBe('bob')
    const none = await fetch(`${base}/users/me`, { headers: { 'x-sky-user-name': 'admin', 'x-forwarded-for': '127.0.0.1' } })
    expect(none.status).toBe(401)
  })

  test('failed logins slow that user on that address but never lock out the right password', async () => {
    expect((await as('admin:adminpw', ['users', 'create', 'rl', '--password', 'rlpw'])).code).toBe(0)
    // X-Forwarded-For is not trusted without api_server.trusted_proxies: all of these are 127.0.0.1.
    for (let i = 0; i < 5; i++) {
      const r = await fetch(`${base}/users/me`, { headers: { authorization: basic('rl:wrong'), 'x-forwarded-for': `10.0.0.${i}`, 'x-real-ip': `10.1.0.${i}` } })
      expect(r.status).toBe(401)
    }
    // The right password is accepted (after its wait), not refused.
    const right = await fetch(`${base}/users/me`, { headers: { authorization: basic('rl:rlpw'), 'x-forwarded-for': '10.9.9.9' } })
    expect(right.status).toBe(200)
    expect((await right.json()).name).toBe('rl')
    // 30 failures with random user names from this address lock out nobody.
    await Promise.all(Array.from({ length: 30 }, (_, i) => fetch(`${base}/users/me`, { headers: { authorization: basic(`nobody${i}:x`) } })))
    const admin = await fetch(`${base}/users/me`, { headers: { authorization: basic('admin:adminpw') } })
    expect(admin.status).toBe(200)
    // Bad tokens do not slow or refuse a good one.
    const made = (await as('admin:adminpw', ['users', 'token', 'create', 'rl'])).stdout.trim()
    for (let i = 0; i < 6; i++) expect((await fetch(`${base}/users/me`, { headers: { authorization: `Bearer sky_${'z'.repeat(43)}` } })).status).toBe(401)
    expect((await fetch(`${base}/users/me`, { headers: { authorization: `Bearer ${made}` } })).status).toBe(200)
    expect((await as('admin:adminpw', ['users', 'delete', '-y', 'rl'])).code).toBe(0)
    const other = await fetch(`${base}/users/me`, { headers: { authorization: basic('alice:alicepw') } })
    expect(other.status).toBe(200)
  })

  test('api login saves the endpoint without echoing the password', async () => {
    const r = await h.sky(['api', 'login', '-e', url('alice:alicepw')], { env: { SKYPILOT_API_SERVER_ENDPOINT: '' } })
    expect(r.code).toBe(0)
    expect(r.stdout + r.stderr).not.toContain('alicepw')
    expect(r.stdout).toContain(`Logged into SkyPilot API server at: ${base}`)
    expect(r.stdout).toContain('User: alice')
    const cfg = readFileSync(join(h.dir, 'config.yaml'), 'utf8')
    expect(cfg).toContain(`endpoint: ${url('alice:alicepw')}`)
    const info = await h.sky(['api', 'info'], { env: { SKYPILOT_API_SERVER_ENDPOINT: '' } })
    expect(info.stdout).toContain('User: alice')
    expect(info.stdout).not.toContain('alicepw')
    const bad = await h.sky(['api', 'login', '-e', url('alice:wrong')], { env: { SKYPILOT_API_SERVER_ENDPOINT: '' } })
    expect(bad.code).toBe(5)
    await h.sky(['api', 'logout'], { env: { SKYPILOT_API_SERVER_ENDPOINT: '' } })
  })
})

describe('service-account tokens', () => {
  test('create (shown once), log in with it, list, revoke', async () => {
    const made = await as('admin:adminpw', ['users', 'token', 'create', 'alice', '--token-name', 'ci'])
    expect(made.code).toBe(0)
    const token = made.stdout.trim()
    expect(token).toMatch(/^sky_[A-Za-z0-9_-]{40,}$/)
    const login = await h.sky(['api', 'login', '-e', base, '--token', token], { env: { SKYPILOT_API_SERVER_ENDPOINT: '' } })
    expect(login.code).toBe(0)
    expect(login.stdout + login.stderr).not.toContain(token)
    const info = await h.sky(['api', 'info'], { env: { SKYPILOT_API_SERVER_ENDPOINT: '' } })
    expect(info.stdout).toContain('User: alice')
    await h.sky(['api', 'logout'], { env: { SKYPILOT_API_SERVER_ENDPOINT: '' } })
    // From the environment too.
    const env = await as(null, ['api', 'info'], { SKYPILOT_SERVICE_ACCOUNT_TOKEN: token })
    expect(env.stdout).toContain('User: alice')
    // alice sees her token; bob does not see it and cannot revoke it.
    const list = await as('alice:alicepw', ['users', 'token', 'list', '-o', 'json'])
    const mine = JSON.parse(list.stdout) as { token_id: string; token_name: string; status: string }[]
    const rec = mine.find((t) => t.token_name === 'ci')!
    expect(rec.status).toBe('active')
    expect(list.stdout).not.toContain(token)
    const bobList = JSON.parse((await as('bob:bobpw', ['users', 'token', 'list', '-o', 'json'])).stdout) as unknown[]
    expect(bobList.length).toBe(0)
    const bobRevoke = await as('bob:bobpw', ['users', 'token', 'revoke', rec.token_id])
    expect(bobRevoke.code).toBe(5)
    const revoke = await as('admin:adminpw', ['users', 'token', 'revoke', token])
    expect(revoke.code).toBe(0)
    const after = await as(null, ['status'], { SKYPILOT_SERVICE_ACCOUNT_TOKEN: token })
    expect(after.code).toBe(5)
    expect(after.stderr).toContain('revoked')
  })

  test('an expired token is refused', async () => {
    const made = await as('admin:adminpw', ['users', 'token', 'create', 'bob', '--expires-in', '0.00002'])
    const token = made.stdout.trim()
    expect(token.startsWith('sky_')).toBe(true)
    // Wait for the token's own expiry time (1.7 s after creation) to pass.
    const list = JSON.parse((await as('admin:adminpw', ['users', 'token', 'list', 'bob', '-o', 'json'])).stdout) as { expires_at: number | null }[]
    const expiresAt = Math.max(...list.map((t) => t.expires_at ?? 0)) * 1000
    await waitFor(() => Date.now() > expiresAt + 50, { what: 'the token to expire' })
    const r = await as(null, ['status'], { SKYPILOT_SERVICE_ACCOUNT_TOKEN: token })
    expect(r.code).toBe(5)
    expect(r.stderr).toContain('expired')
  })

  test('a malformed token is refused', async () => {
    const r = await fetch(`${base}/api/status`, { headers: { authorization: 'Bearer not-a-token' } })
    expect(r.status).toBe(401)
  })
})

describe('users and roles', () => {
  test('only admins manage users; the last admin cannot be removed', async () => {
    const r = await as('alice:alicepw', ['users', 'create', 'eve', '--password', 'x'])
    expect(r.code).toBe(5)
    expect(r.stderr).toContain('Only admins')
    const last = await as('admin:adminpw', ['users', 'delete', '-y', 'admin'])
    expect(last.code).not.toBe(0)
    expect(last.stderr).toContain('last admin')
    const dup = await as('admin:adminpw', ['users', 'create', 'alice', '--password', 'x'])
    expect(dup.code).not.toBe(0)
    expect(dup.stderr).toContain('already exists')
    const badRole = await as('admin:adminpw', ['users', 'create', 'carol', '--password', 'x', '--role', 'root'])
    expect(badRole.code).toBe(2)
    expect(badRole.stderr).toContain('role')
    const list = JSON.parse((await as('admin:adminpw', ['users', 'list', '-o', 'json'])).stdout) as { name: string; role: string }[]
    expect(list.map((u) => u.name).sort()).toEqual(['admin', 'alice', 'bob'])
    expect(JSON.stringify(list)).not.toContain('argon2')
  })

  test('a changed password takes effect at once', async () => {
    expect((await as('admin:adminpw', ['users', 'create', 'dave', '--password', 'one'])).code).toBe(0)
    expect((await as('dave:one', ['api', 'info'])).code).toBe(0)
    expect((await as('admin:adminpw', ['users', 'password', 'dave', '--password', 'two'])).code).toBe(0)
    expect((await as('dave:one', ['api', 'info'])).code).toBe(5)
    expect((await as('dave:two', ['api', 'info'])).code).toBe(0)
    expect((await as('admin:adminpw', ['users', 'delete', '-y', 'dave'])).code).toBe(0)
    expect((await as('dave:two', ['api', 'info'])).code).toBe(5)
  })
})

describe('ownership', () => {
  test('a user sees and acts on their own clusters; -u shows everyone; admins act on all', async () => {
    const launch = await as('alice:alicepw', ['launch', '-y', '-c', 'alice-c', '--cpus', '1', '--', 'echo hello from alice'])
    expect(launch.code).toBe(0)
    expect(launch.stdout).toContain('hello from alice')

    const bobStatus = await as('bob:bobpw', ['status'])
    expect(bobStatus.stdout).not.toContain('alice-c')
    const bobAll = await as('bob:bobpw', ['status', '-u'])
    expect(bobAll.stdout).toMatch(/NAME\s+USER\s+INFRA/)
    expect(bobAll.stdout).toMatch(/alice-c\s+alice/)

    for (const args of [['down', '-y', 'alice-c'], ['stop', '-y', 'alice-c'], ['exec', 'alice-c', '--', 'echo pwned'], ['cancel', 'alice-c', '1']]) {
      const r = await as('bob:bobpw', args)
      expect(r.code).toBe(5)
      expect(r.stderr).toContain("belongs to user 'alice'")
    }
    const still = await as('alice:alicepw', ['status', 'alice-c'])
    expect(still.stdout).toMatch(/alice-c\s+.*UP/)
    const queue = await as('alice:alicepw', ['queue', 'alice-c'])
    expect(queue.stdout).not.toContain('pwned')

    // Requests: bob cannot read or cancel alice's.
    const rows = JSON.parse((await as('alice:alicepw', ['api', 'status', '-a', '-o', 'json'])).stdout) as { request_id: string; user_name: string }[]
    const aliceReq = rows.find((r) => r.user_name === 'alice')!.request_id
    const logs = await as('bob:bobpw', ['api', 'logs', aliceReq])
    expect(logs.code).toBe(5)
    const bobReqs = await as('bob:bobpw', ['api', 'status', '-a'])
    expect(bobReqs.stdout).not.toContain(aliceReq)
    const bobAllReqs = await as('bob:bobpw', ['api', 'status', '-a', '-u'])
    expect(bobAllReqs.stdout).toContain(aliceReq)

    // An admin may act on anyone's cluster.
    const stop = await as('admin:adminpw', ['stop', '-y', 'alice-c'])
    expect(stop.code).toBe(0)
    const stopped = await as('alice:alicepw', ['status', 'alice-c'])
    expect(stopped.stdout).toContain('STOPPED')
  })
})
