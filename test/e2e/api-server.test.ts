// The compiled binary as a user runs it: auto-start, request lifecycle, cancel, restart recovery,
// version checks, unreachable endpoints, malformed input.
import { afterEach, describe, expect, test } from 'bun:test'
import { authedFetch, freePort, requestRow, submitPlugin, tempHome, waitFor, type TempHome } from '../harness'
import { wireErrors } from '../harness/wire'
import { RequestPayload } from '../../src/api/wire'

let homes: TempHome[] = []
afterEach(async () => {
  await Promise.all(homes.map((h) => h.cleanup()))
  homes = []
})
async function home(o: Parameters<typeof tempHome>[0] = {}) {
  const h = await tempHome(o)
  homes.push(h)
  return h
}

describe('auto-start', () => {
  test('8 concurrent first commands start exactly one server on the endpoint port', async () => {
    const h = await home()
    const runs = await Promise.all(Array.from({ length: 8 }, () => h.sky(['status'])))
    for (const r of runs) {
      expect(r.stderr).not.toContain('Error')
      expect(r.code).toBe(0)
      expect(r.stdout).toContain('No existing clusters.')
    }
    const servers = Bun.spawnSync(['pgrep', '-f', `api start --foreground --host 127.0.0.1 --port ${h.port}`]).stdout.toString().trim().split('\n').filter(Boolean)
    expect(servers.length).toBe(1)
    const health = await (await fetch(`${h.endpoint}/api/health`)).json()
    expect(health.status).toBe('healthy')
  })

  test('sky api info prints endpoint, dashboard, status, version and user', async () => {
    const h = await home()
    const r = await h.sky(['api', 'info'])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).toBe(`Using SkyPilot API server: ${h.endpoint} Dashboard: ${h.endpoint}/dashboard`)
    expect(lines[1]).toMatch(/^├── Status: healthy, commit: \S+, version: \d+\.\d+\.\d+/)
    expect(lines[2]).toBe('├── Auth: local token (this Unix user only; no login)')
    expect(lines[3]).toMatch(/^└── User: tester \([0-9a-f]{8}\)$/)
    const j = JSON.parse((await h.sky(['api', 'info', '-o', 'json'])).stdout)
    expect(j.server.status).toBe('healthy')
    expect(j.user.name).toBe('tester')
  })

  test('api stop then api start --port', async () => {
    const h = await home()
    expect((await h.sky(['status'])).code).toBe(0)
    const stop = await h.sky(['api', 'stop'])
    expect(stop.code).toBe(0)
    expect(stop.stdout).toContain('stopped')
    expect(await fetch(`${h.endpoint}/api/health`).then(() => true, () => false)).toBe(false)
    const start = await h.sky(['api', 'start', '--port', String(h.port)])
    expect(start.code).toBe(0)
    expect((await fetch(`${h.endpoint}/api/health`)).status).toBe(200)
  })
})

describe('requests', () => {
  test('api status, logs by prefix, -a and -l', async () => {
    const h = await home({ plugins: true })
    await h.sky(['api', 'start'])
    const id = await submitPlugin(h.endpoint, 'test.sleep', { seconds: 0.3, lines: 3 })
    await waitFor(async () => (await requestRow(h.endpoint, id)).status === 'SUCCEEDED')
    const active = await h.sky(['api', 'status'])
    expect(active.stdout).not.toContain(id)
    const all = await h.sky(['api', 'status', '-a'])
    expect(all.stdout).toMatch(/^ID\s+User\s+Name\s+Created\s+Status/)
    expect(all.stdout).toContain(id)
    expect(all.stdout).toContain('test.sleep')
    const logs = await h.sky(['api', 'logs', id.slice(0, 6)])
    expect(logs.code).toBe(0)
    expect(logs.stdout).toBe('step 1/3\nstep 2/3\nstep 3/3\ndone\n')
    const tail = await h.sky(['api', 'logs', id.slice(0, 8), '--tail', '1'])
    expect(tail.stdout).toBe('done\n')
    await submitPlugin(h.endpoint, 'test.echo', {})
    // -o json: SkyPilot's RequestPayload names, times in seconds.
    const rows = JSON.parse((await h.sky(['api', 'status', '-a', '-o', 'json'])).stdout) as { request_id: string }[]
    expect(rows.map((r) => r.request_id)).toContain(id)
    expect(wireErrors(RequestPayload, rows)).toEqual([])
    const limited = await h.sky(['api', 'status', '-a', '-l', '1'])
    expect(limited.stdout).toContain('Showing 1 requests')
  })

  test('an ambiguous prefix is an error listing the matches; an unknown one is not found', async () => {
    const h = await home({ plugins: true })
    await h.sky(['api', 'start'])
    const ids: string[] = []
    for (let i = 0; i < 40; i++) ids.push(await submitPlugin(h.endpoint, 'test.echo', { i }))
    const byFirst = new Map<string, string[]>()
    for (const id of ids) byFirst.set(id[0]!, [...(byFirst.get(id[0]!) ?? []), id])
    const [prefix, group] = [...byFirst.entries()].find(([, g]) => g.length > 1)!
    const r = await h.sky(['api', 'logs', prefix])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('ambiguous')
    // The message lists up to 5 of the matching ids (which 5 is the server's choice).
    const listed = group.filter((id) => r.stderr.includes(id))
    expect(listed.length).toBe(Math.min(5, group.length))
    const nf = await h.sky(['api', 'logs', 'zzzz'])
    expect(nf.code).toBe(4)
    expect(nf.stderr).toContain("Request 'zzzz' not found")
  })

  test('cancel a RUNNING and a PENDING request', async () => {
    const h = await home({ plugins: true, config: 'api_server:\n  long_workers: 1\n' })
    h.config(`api_server:\n  long_workers: 1\n  plugins: [${(await import('../harness')).TEST_PLUGIN}]\n`)
    await h.sky(['api', 'start'])
    const running = await submitPlugin(h.endpoint, 'test.sleep', { seconds: 20, lines: 20 })
    const pending = await submitPlugin(h.endpoint, 'test.sleep', { seconds: 1 })
    // Its handler has started (a request cancelled before that never starts at all).
    await waitFor(async () => (await h.sky(['api', 'logs', running, '--no-follow'])).stdout.includes('step 1/20'), { what: 'the first request to start' })
    expect((await requestRow(h.endpoint, running)).status).toBe('RUNNING')
    expect((await requestRow(h.endpoint, pending)).status).toBe('PENDING')
    const c1 = await h.sky(['api', 'cancel', pending.slice(0, 8)])
    expect(c1.code).toBe(0)
    expect(c1.stdout).toContain(pending)
    const c2 = await h.sky(['api', 'cancel', running.slice(0, 8)])
    expect(c2.stdout).toContain(running)
    expect((await requestRow(h.endpoint, running)).status).toBe('CANCELLED')
    expect((await requestRow(h.endpoint, pending)).status).toBe('CANCELLED')
    // The pending one never ran; the running one stopped early.
    expect((await h.sky(['api', 'logs', pending, '--no-follow'])).stdout).not.toContain('step')
    // The handler saw the cancellation and stopped writing (its last line), before finishing.
    const log = await waitFor(
      async () => {
        const text = (await h.sky(['api', 'logs', running, '--no-follow'])).stdout
        return text.includes('stopped: cancelled at step') && text
      },
      { what: 'the running request to stop on cancel' },
    )
    expect(log).toContain('Request cancelled.')
    expect(log).not.toContain('done')
    // The lane is free again.
    const next = await submitPlugin(h.endpoint, 'test.sleep', { seconds: 0.1, lines: 1 })
    await waitFor(async () => (await requestRow(h.endpoint, next)).status === 'SUCCEEDED')
  })

  test('SIGKILL mid-request: restart re-queues pending, re-runs idempotent, fails the rest with a reason', async () => {
    const h = await home({ plugins: true })
    h.config(`api_server:\n  long_workers: 2\n  plugins: [${(await import('../harness')).TEST_PLUGIN}]\n`)
    await h.sky(['api', 'start'])
    const plain = await submitPlugin(h.endpoint, 'test.sleep', { seconds: 30, lines: 30 })
    const idem = await submitPlugin(h.endpoint, 'test.sleep_idempotent', { seconds: 30, lines: 30 })
    const queued = await submitPlugin(h.endpoint, 'test.sleep', { seconds: 0.2, lines: 1 })
    await waitFor(async () => (await requestRow(h.endpoint, plain)).status === 'RUNNING' && (await requestRow(h.endpoint, idem)).status === 'RUNNING')
    expect((await requestRow(h.endpoint, queued)).status).toBe('PENDING')
    process.kill(h.serverPid()!, 'SIGKILL')
    await waitFor(async () => !(await fetch(`${h.endpoint}/api/health`).then(() => true, () => false)))
    expect((await h.sky(['api', 'start'])).code).toBe(0)
    const failed = await requestRow(h.endpoint, plain)
    expect(failed.status).toBe('FAILED')
    expect(failed.error?.message).toContain('not safe to repeat')
    expect((await requestRow(h.endpoint, idem)).status).toBe('RUNNING')
    await waitFor(async () => (await requestRow(h.endpoint, queued)).status === 'SUCCEEDED')
    expect((await h.sky(['api', 'logs', idem, '--no-follow'])).stdout).toContain('re-running')
    await h.sky(['api', 'cancel', idem])
  })

  test('SIGTERM drains: the running request finishes before the server exits', async () => {
    const h = await home({ plugins: true })
    await h.sky(['api', 'start'])
    const id = await submitPlugin(h.endpoint, 'test.sleep', { seconds: 1, lines: 2 })
    await waitFor(async () => (await requestRow(h.endpoint, id)).status === 'RUNNING')
    const pid = h.serverPid()!
    process.kill(pid, 'SIGTERM')
    await waitFor(() => {
      try {
        process.kill(pid, 0)
        return false
      } catch {
        return true
      }
    }, 15_000)
    await h.sky(['api', 'start'])
    expect((await requestRow(h.endpoint, id)).status).toBe('SUCCEEDED')
  })
})

describe('errors', () => {
  test('unreachable remote endpoint: clear error, exit 5, no server started', async () => {
    const h = await home()
    const port = await freePort('127.0.0.2')
    const r = await h.sky(['status'], { env: { SKYPILOT_API_SERVER_ENDPOINT: `http://127.0.0.2:${port}` } })
    expect(r.code).toBe(5)
    expect(r.stderr).toContain(`Could not reach the API server at http://127.0.0.2:${port}`)
    expect(h.serverPid()).toBeUndefined()
  })

  test('an old client is refused by the server with a message naming the side to upgrade', async () => {
    const h = await home()
    await h.sky(['api', 'start'])
    const r = await authedFetch(`${h.endpoint}/status`, { method: 'POST', headers: { 'x-skypilot-api-version': '0', 'content-type': 'application/json' }, body: '{}' })
    expect(r.status).toBe(400)
    const body = await r.json()
    expect(body.error.code).toBe('VERSION_MISMATCH')
    expect(body.error.message).toContain('Client is too old')
  })

  test('an old server is refused by the client, exit 5', async () => {
    const h = await home()
    const fake = Bun.serve({
      port: h.port,
      hostname: '127.0.0.1',
      // An old sky server: no build header yet, but its health answer has sky's shape.
      fetch: () =>
        new Response(JSON.stringify({ status: 'healthy', api_version: 0, version: '0.0.1', commit: 'old', deploy: false, started_at: 1 }), {
          headers: { 'x-skypilot-api-version': '0', 'x-skypilot-version': '0.0.1', 'content-type': 'application/json' },
        }),
    })
    try {
      const r = await h.sky(['status'])
      expect(r.code).toBe(5)
      expect(r.stderr).toContain('The API server is too old')
      expect(r.stderr).toContain('sky api stop; sky api start')
    } finally {
      fake.stop(true)
    }
  })

  test('malformed request bodies get 400 with field-level messages and store nothing', async () => {
    const h = await home()
    await h.sky(['api', 'start'])
    const before = (await (await authedFetch(`${h.endpoint}/api/status?all_status=true&all_users=true`)).json()).length
    const bad = await authedFetch(`${h.endpoint}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cluster_names: [5], all_users: 'yes' }) })
    expect(bad.status).toBe(400)
    const b = await bad.json()
    expect(b.error.code).toBe('VALIDATION')
    // The class name survives minification of the compiled binary.
    expect(b.error.name).toBe('ValidationError')
    const paths = b.error.details.issues.map((i: { path: string }) => i.path)
    expect(paths.some((p: string) => p.startsWith('cluster_names'))).toBe(true)
    const notJson = await authedFetch(`${h.endpoint}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' })
    expect(notJson.status).toBe(400)
    expect((await notJson.json()).error.code).toBe('VALIDATION')
    const after = (await (await authedFetch(`${h.endpoint}/api/status?all_status=true&all_users=true`)).json()).length
    expect(after).toBe(before)
  })

  test('usage errors exit 2; unknown commands and options name the fix', async () => {
    const h = await home()
    const r1 = await h.sky(['stauts'])
    expect(r1.code).toBe(2)
    expect(r1.stderr).toContain("Unknown command 'stauts'")
    const r2 = await h.sky(['status', '--refesh'])
    expect(r2.code).toBe(2)
    expect(r2.stderr).toContain("Unknown option '--refesh'")
    const r3 = await h.sky(['api', 'status', '-l', 'x'])
    expect(r3.code).toBe(2)
    const r4 = await h.sky(['storage', 'ls'])
    expect(r4.code).toBe(2)
    expect(r4.stderr).toContain("'sky storage' (storage buckets) is not part of this build")
  })

  test('--version and --help', async () => {
    const h = await home()
    const v = await h.sky(['--version'])
    expect(v.stdout).toMatch(/^sky, version \d+\.\d+\.\d+ \(commit \S+\)/)
    const help = await h.sky(['--help'])
    expect(help.code).toBe(0)
    for (const c of ['launch', 'exec', 'status', 'queue', 'logs', 'cancel', 'stop', 'start', 'down', 'autostop', 'check', 'gpus', 'ssh', 'api', 'dashboard', 'users']) {
      expect(help.stdout).toMatch(new RegExp(`^\\s+${c}\\s{2,}\\S`, 'm'))
    }
    // Piped help is plain text.
    expect(help.stdout).not.toContain('\x1b[')
  })
})
