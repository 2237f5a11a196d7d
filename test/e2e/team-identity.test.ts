// Identity for every server, through the compiled binary: a local server serves only the Unix
// user who started it (another user, even with a client of their own, is refused and cannot read
// the token); non-loopback hosts need --deploy; no server runs without auth on a PostgreSQL URI;
// SKY_HOME is 0700 and its files 0600; `sky api stop` signals only the server it started, on the
// endpoint in use; `sky api start` returns once the server answers; `sky api info` shows the
// auth mode.
import { afterAll, afterEach, describe, expect, test } from 'bun:test'
import { statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { freePort, pidAlive, SKY_BIN, tempHome, waitFor, type TempHome } from '../harness'
import { canMakeUsers, makeUser, type OsUser } from '../harness/os-user'

let homes: TempHome[] = []
let users: OsUser[] = []
afterEach(async () => {
  await Promise.all(homes.map((h) => h.cleanup()))
  homes = []
})
afterAll(async () => {
  await Promise.all(users.map((u) => u.cleanup()))
})
async function home(o: Parameters<typeof tempHome>[0] = {}) {
  const h = await tempHome(o)
  homes.push(h)
  return h
}
const mode = (p: string) => statSync(p).mode & 0o777

describe('local server', () => {
  test.skipIf(!canMakeUsers())('another Unix user can neither use it nor read its token', async () => {
    const h = await home()
    expect((await h.sky(['status'])).code).toBe(0)
    const token = join(h.dir, 'api_server', 'local.token')
    expect(mode(h.dir)).toBe(0o700)
    expect(mode(token)).toBe(0o600)
    expect(mode(join(h.dir, 'state.db'))).toBe(0o600)

    const mallory = await makeUser()
    users.push(mallory)
    const env = { SKY_HOME: join(mallory.home, '.sky'), SKYPILOT_API_SERVER_ENDPOINT: h.endpoint, NO_COLOR: '1' }
    // Their own client refuses to talk to (or send a token to) a server another user runs.
    const theirs = await mallory.run([SKY_BIN, 'status'], env)
    expect(theirs.code).toBe(5)
    expect(theirs.stderr).toContain('is run by another Unix user')
    // Straight HTTP, with a made-up identity: refused.
    const raw = await mallory.run(['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${h.port}; printf 'POST /status HTTP/1.1\\r\\nHost: x\\r\\nContent-Type: application/json\\r\\nX-Sky-User-Name: tester\\r\\nContent-Length: 2\\r\\nConnection: close\\r\\n\\r\\n{}' >&3; cat <&3`])
    expect(raw.stdout).toContain('HTTP/1.1 401')
    expect(raw.stdout).toContain('serves only the Unix user who started it')
    // The token and the database are out of reach.
    for (const f of [token, join(h.dir, 'state.db'), join(h.dir, 'api_server', 'secrets.key')]) {
      const cat = await mallory.run(['cat', f])
      expect(cat.code).not.toBe(0)
      expect(cat.stderr).toContain('Permission denied')
    }
    // The owner is unaffected.
    expect((await h.sky(['status'])).code).toBe(0)
  })

  test('a wrong or missing token is refused; health stays open without naming anyone', async () => {
    const h = await home()
    expect((await h.sky(['api', 'start'])).code).toBe(0)
    for (const headers of [{}, { 'x-sky-local-token': 'f'.repeat(64) }, { 'x-sky-user-name': 'tester', 'x-sky-user-id': 'abcdef12' }] as Record<string, string>[]) {
      const r = await fetch(`${h.endpoint}/api/status`, { headers })
      expect(r.status).toBe(401)
      expect(r.headers.get('www-authenticate')).toBeNull()
    }
    const health = await (await fetch(`${h.endpoint}/api/health`, { headers: { 'x-sky-user-name': 'tester' } })).json()
    expect(health.status).toBe('healthy')
    expect(health.user).toBeUndefined()
    expect(health.auth_mode).toBe('local-token')
    const mine = await h.fetch('/api/health')
    expect((await mine.json()).user.name).toBe('tester')
  })

  test('sky api info shows the auth mode', async () => {
    const h = await home()
    const local = await h.sky(['api', 'info', '-o', 'json'])
    expect(JSON.parse(local.stdout).server.auth_mode).toBe('local-token')
    const port = await freePort()
    const srv = h.spawn(['api', 'start', '--deploy', '--foreground', '--host', '127.0.0.1', '--port', String(port)], { env: { SKYPILOT_INITIAL_ADMIN: 'admin:pw' } })
    await waitFor(() => fetch(`http://127.0.0.1:${port}/api/health`).then((r) => r.ok, () => false), 20_000)
    const deployed = await h.sky(['api', 'info'], { env: { SKYPILOT_API_SERVER_ENDPOINT: `http://admin:pw@127.0.0.1:${port}` } })
    expect(deployed.stdout).toContain('├── Auth: login required (user password or service-account token)')
    srv.kill('SIGTERM')
    await srv.exited
  })
})

describe('exposure', () => {
  test('--host beyond loopback needs --deploy', async () => {
    const h = await home()
    for (const host of ['0.0.0.0', '10.1.2.3', '::']) {
      for (const fg of [[], ['--foreground']]) {
        const r = await h.sky(['api', 'start', ...fg, '--host', host, '--port', String(h.port)])
        expect(r.code).toBe(2)
        expect(r.stderr).toContain('needs --deploy')
      }
    }
    expect(await fetch(`${h.endpoint}/api/health`).then(() => true, () => false)).toBe(false)
    // Loopback is fine without it.
    expect((await h.sky(['api', 'start', '--host', '127.0.0.1'])).code).toBe(0)
  })

  test('no server starts without auth on a PostgreSQL URI (a stray sky status does not auto-start one)', async () => {
    const h = await home()
    const env = { SKYPILOT_DB_CONNECTION_URI: 'postgresql://sky:pw@127.0.0.1:1/sky' }
    const status = await h.sky(['status'], { env })
    expect(status.code).toBe(2)
    expect(status.stderr).toContain('no local server is started on it without authentication')
    expect(h.serverPid()).toBeUndefined()
    const fg = await h.sky(['api', 'start', '--foreground', '--port', String(h.port)], { env })
    expect(fg.code).toBe(2)
    expect(fg.stderr).toContain('must authenticate users')
    expect(await fetch(`${h.endpoint}/api/health`).then(() => true, () => false)).toBe(false)
  })
})

describe('sky api start / stop', () => {
  test('start returns once the server answers', async () => {
    const h = await home()
    expect((await h.sky(['api', 'start'])).code).toBe(0)
    // No retry: it answers right away.
    expect((await h.fetch('/api/status')).status).toBe(200)
  })

  test('stop follows the endpoint in use and signals only the server it started', async () => {
    const h = await home()
    const other = await freePort()
    const ep2 = `http://127.0.0.1:${other}`
    expect((await h.sky(['status'])).code).toBe(0)
    expect((await h.sky(['status'], { env: { SKYPILOT_API_SERVER_ENDPOINT: ep2 } })).code).toBe(0)
    const first = h.serverPid()!
    const second = JSON.parse(await Bun.file(join(h.dir, 'api_server', `server-${other}.json`)).text()).pid as number
    expect(first).not.toBe(second)
    // Stopping the second endpoint leaves the first running.
    const stop2 = await h.sky(['api', 'stop'], { env: { SKYPILOT_API_SERVER_ENDPOINT: ep2 } })
    expect(stop2.code).toBe(0)
    expect(stop2.stdout).toContain(`API server at ${ep2} stopped`)
    await waitFor(() => !pidAlive(second))
    expect(pidAlive(first)).toBe(true)
    expect((await h.fetch('/api/status')).status).toBe(200)

    // A stale record naming a pid that is now some other process: nothing is signalled.
    const bystander = Bun.spawn(['sleep', '60'])
    try {
      const rec = join(h.dir, 'api_server', `server-${other}.json`)
      writeFileSync(rec, JSON.stringify({ pid: bystander.pid, port: other, procStart: '1' }))
      const stale = await h.sky(['api', 'stop'], { env: { SKYPILOT_API_SERVER_ENDPOINT: ep2 } })
      expect(stale.code).toBe(0)
      expect(stale.stdout).toContain('record was stale')
      // Same pid and start time but not a sky server (the command line says so): also untouched.
      writeFileSync(rec, JSON.stringify({ pid: bystander.pid, port: other }))
      expect((await h.sky(['api', 'stop'], { env: { SKYPILOT_API_SERVER_ENDPOINT: ep2 } })).stdout).toContain('is not a sky API server')
      expect(pidAlive(bystander.pid)).toBe(true)
    } finally {
      bystander.kill()
    }
    expect((await h.sky(['api', 'stop'])).code).toBe(0)
    await waitFor(() => !pidAlive(first))
  })
})
