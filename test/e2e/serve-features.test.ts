// Services on local infra through the compiled binary, one feature each: a replica that never
// passes its readiness probe (FAILED_INITIAL_DELAY, scaling paused), bearer-token auth over TLS
// (401 without or with a revoked token, 200 with a valid one), a blue-green update (traffic
// switches at once), the API server killed and restarted (the endpoint keeps serving, the
// controller resumes), autoscaling up and down with short delays, and bad input.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { pidAlive, tempHome, waitFor, type TempHome } from '../harness'
import { get, killLeftovers, killReplica, readyCount, serveStatus, serviceYaml, waitService } from '../harness/serve'

let h: TempHome

beforeAll(async () => {
  h = await tempHome()
})
afterAll(async () => {
  await h.sky(['serve', 'down', '-a', '-y'], { timeoutMs: 60_000 })
  killLeftovers(h)
  await h.sky(['down', '-a', '-y'])
  await h.cleanup()
})

async function up(name: string, file: string): Promise<string> {
  const r = await h.sky(['serve', 'up', '-n', name, '-y', file])
  expect(r.code).toBe(0)
  return /Endpoint URL: (https?:\/\/127\.0\.0\.1:\d+)/.exec(r.stdout)![1]!
}

async function down(name: string): Promise<void> {
  const r = await h.sky(['serve', 'down', name, '-y'], { timeoutMs: 90_000 })
  expect(r.code).toBe(0)
}

describe('sky serve features on local infra', () => {
  test('a replica failing its readiness probe past the initial delay is FAILED_INITIAL_DELAY; scaling pauses', async () => {
    await up('noready', serviceYaml(h, 'noready.yaml', { replicas: 1, probePath: '/not-there', initialDelay: 2 }))
    const s = await waitService(h, 'noready', (x) => x.replica_info.some((r) => r.status === 'FAILED_INITIAL_DELAY'), 60_000)
    expect(s.replica_info).toHaveLength(1)
    expect(s.replica_info[0]!.failure).toContain('HTTP 404')
    await waitService(h, 'noready', (x) => x.status === 'FAILED' && (x.failure ?? '').includes('scaling is paused'), 30_000)
    // No replacement is launched for a version that never worked.
    expect((await serveStatus(h, ['noready']))[0]!.replica_info).toHaveLength(1)
    await down('noready')
  }, 120_000)

  test('auth over TLS: no token → 401, valid → 200, revoked → 401; tokens are listed without secrets', async () => {
    const key = join(h.dir, 'key.pem')
    const cert = join(h.dir, 'cert.pem')
    const ssl = Bun.spawnSync(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1'], { stderr: 'pipe' })
    expect(ssl.exitCode).toBe(0)
    const endpoint = await up('secure', serviceYaml(h, 'secure.yaml', { replicas: 1, extraService: `  auth: true\n  tls:\n    keyfile: ${key}\n    certfile: ${cert}\n` }))
    expect(endpoint.startsWith('https://')).toBe(true)
    await waitService(h, 'secure', (x) => readyCount(x, 1))
    expect((await get(endpoint + '/')).status).toBe(401)
    const made = await h.sky(['serve', 'token', 'create', 'secure', '-n', 'ci'])
    expect(made.code).toBe(0)
    const token = made.stdout.trim()
    expect(token).toMatch(/^sky_svc_/)
    const ok = await get(endpoint + '/', { authorization: `Bearer ${token}` })
    expect(ok).toEqual({ status: 200, body: 'v1-r1' })
    expect((await get(endpoint + '/', { authorization: 'Bearer sky_svc_wrong' })).status).toBe(401)
    const list = await h.sky(['serve', 'token', 'list', 'secure'])
    expect(list.stdout).toMatch(/^ci\s+sky_svc_\S{4}…\s+tester\s+.+ACTIVE$/m)
    expect(list.stdout).not.toContain(token)
    // Only the hash is stored: the secret is nowhere in the state database.
    const db = await Bun.file(join(h.dir, 'state.db')).text()
    expect(db).not.toContain(token)
    expect((await h.sky(['serve', 'token', 'revoke', 'secure', 'ci'])).code).toBe(0)
    expect((await get(endpoint + '/', { authorization: `Bearer ${token}` })).status).toBe(401)
    expect((await h.sky(['serve', 'token', 'list', 'secure'])).stdout).toMatch(/^ci\s+.+REVOKED/m)
    const dup = await h.sky(['serve', 'token', 'create', 'secure', '-n', 'ci'])
    expect(dup.code).toBe(2)
    expect(dup.stderr).toContain("already has a token named 'ci'")
    await down('secure')
  }, 120_000)

  test('blue-green update: traffic moves to version 2 only once it is ready, then version 1 goes', async () => {
    const endpoint = await up('bg', serviceYaml(h, 'bg1.yaml', { replicas: 2 }))
    await waitService(h, 'bg', (x) => readyCount(x, 2))
    const seen: string[] = []
    const failures: string[] = []
    let stop = false
    const load = (async () => {
      while (!stop) {
        const r = await get(endpoint + '/')
        if (r.status === 200) seen.push(r.body)
        else failures.push(`${r.status} ${r.body}`)
      }
    })()
    const r = await h.sky(['serve', 'update', 'bg', '--mode', 'blue_green', '-y', serviceYaml(h, 'bg2.yaml', { label: 'v2' })])
    expect(r.code).toBe(0)
    await waitService(h, 'bg', (x) => readyCount(x, 2, 2), 90_000)
    stop = true
    await load
    expect(failures).toEqual([])
    // Once version 2 answered, version 1 never did again.
    const firstV2 = seen.findIndex((b) => b.startsWith('v2-'))
    expect(firstV2).toBeGreaterThan(-1)
    expect(seen.slice(firstV2).every((b) => b.startsWith('v2-'))).toBe(true)
    await down('bg')
  }, 150_000)

  test('API server killed: the endpoint keeps serving; restarted, the controller resumes (replaces a lost replica)', async () => {
    const endpoint = await up('steady', serviceYaml(h, 'steady.yaml', { replicas: 2 }))
    await waitService(h, 'steady', (x) => readyCount(x, 2))
    const pid = h.serverPid()!
    process.kill(pid, 'SIGKILL')
    await waitFor(() => !pidAlive(pid), 10_000)
    for (let i = 0; i < 10; i++) expect((await get(endpoint + '/')).status).toBe(200)
    // A replica dies while no server runs; the LB routes around it.
    expect(killReplica(h, 'steady', 1)).toBeGreaterThan(0)
    for (let i = 0; i < 6; i++) expect(await get(endpoint + '/')).toEqual({ status: 200, body: 'v1-r2' })
    // The next command starts the server again; its controller finds the loss and replaces it.
    const s = await waitService(h, 'steady', (x) => readyCount(x, 2) && x.replica_info.some((r) => r.replica_id === 3), 90_000)
    expect(s.replica_info.find((r) => r.replica_id === 1)!.status).toBe('FAILED')
    expect(s.endpoint).toBe(endpoint)
    await down('steady')
  }, 150_000)

  test('autoscaling: load above target QPS adds a replica; once it stops, the service scales back down', async () => {
    const policy = '    min_replicas: 1\n    max_replicas: 2\n    target_qps_per_replica: 1\n    upscale_delay_seconds: 1\n    downscale_delay_seconds: 1\n'
    const endpoint = await up('auto', serviceYaml(h, 'auto.yaml', { replicaPolicy: policy }))
    await waitService(h, 'auto', (x) => readyCount(x, 1))
    // 100 requests in the 60 s window: 1.7 QPS over a target of 1 per replica → 2 replicas.
    for (let i = 0; i < 100; i++) expect((await get(endpoint + '/')).status).toBe(200)
    await waitService(h, 'auto', (x) => readyCount(x, 2), 60_000)
    // The requests leave the window after 60 s; the target drops back to 1.
    const s = await waitService(h, 'auto', (x) => readyCount(x, 1), 120_000)
    expect(s.replica_info.filter((r) => r.status === 'READY')).toHaveLength(1)
    await down('auto')
  }, 240_000)

  test("the workdir is uploaded and synced to each replica; the replica runs from it", async () => {
    const wd = join(h.dir, 'app')
    mkdirSync(wd, { recursive: true })
    writeFileSync(join(wd, 'server.ts'), "Bun.serve({ port: 8080, hostname: '0.0.0.0', fetch: () => new Response('from-workdir-' + process.env.SKYPILOT_SERVE_REPLICA_ID) })\n")
    const yaml = join(h.dir, 'wd.yaml')
    writeFileSync(yaml, `workdir: ${wd}\nservice:\n  readiness_probe: /\n  replicas: 1\nresources:\n  ports: 8080\n  cpus: 0.1\nrun: exec ${process.execPath} server.ts\n`)
    const endpoint = await up('wd', yaml)
    await waitService(h, 'wd', (x) => readyCount(x, 1))
    expect(await get(endpoint + '/')).toEqual({ status: 200, body: 'from-workdir-1' })
    await down('wd')
  }, 90_000)

  test('bad input: field-named errors, exit 2, nothing recorded; names and ids checked', async () => {
    const bad = join(h.dir, 'bad.yaml')
    await Bun.write(bad, 'service:\n  readiness_probe:\n    path: /\n  replicas: -1\nresources:\n  ports: 8080\nrun: echo\n')
    const r = await h.sky(['serve', 'up', '-y', '-n', 'bad', bad])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('service.replicas')
    const noPort = join(h.dir, 'noport.yaml')
    await Bun.write(noPort, 'service:\n  readiness_probe: /\nrun: echo\n')
    const p = await h.sky(['serve', 'up', '-y', '-n', 'bad', noPort])
    expect(p.code).toBe(2)
    expect(p.stderr).toContain('service.ports')
    expect((await h.sky(['serve', 'up', '-y', '-n', '9bad', serviceYaml(h, 'ok.yaml')])).code).toBe(2)
    expect((await serveStatus(h)).map((s) => s.name)).toEqual([])
    const missing = await h.sky(['serve', 'status', 'nope'])
    expect(missing.code).toBe(4)
    expect((await h.sky(['serve', 'logs', 'x'])).code).toBe(2)
  })
})
