// The server in-process: createApp through app.handle for routing, validation and errors, and a
// started server (real worker threads, real SQLite) for the request service.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { startServer, type RunningServer } from '../../../src/server/serve'
import { SkyClient } from '../../../src/sdk/client'
import { parseEndpoint } from '../../../src/sdk/endpoint'
import { status } from '../../../src/sdk/ops'
import { NotFoundError, ValidationError } from '../../../src/core/errors'
import { TEST_PLUGIN } from '../../harness'

let dir: string
let srv: RunningServer
let client: SkyClient

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sky-app-'))
  process.env.SKY_HOME = dir
  srv = await startServer({ host: '127.0.0.1', port: 0, deploy: false, plugins: [TEST_PLUGIN], db: { kind: 'sqlite', path: join(dir, 'state.db') } })
  client = new SkyClient({ endpoint: parseEndpoint(srv.url, 'env'), autoStart: false, user: { id: 'abcd1234', name: 'alice' } })
})

/** fetch with the server owner's local token (as the CLI sends it). */
const fetch = (url: string, init: RequestInit = {}) =>
  globalThis.fetch(url, { ...init, headers: { 'x-sky-local-token': readFileSync(join(dir, 'api_server', 'local.token'), 'utf8').trim(), ...(init.headers as Record<string, string>) } })

afterAll(async () => {
  await srv.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('routes', () => {
  test('health reports versions and the caller', async () => {
    const h = await client.health()
    expect(h.status).toBe('healthy')
    expect(h.user).toEqual({ name: 'alice', id: 'abcd1234' })
  })

  test('an operation answers with its request id in the header and the body', async () => {
    const res = await fetch(`${srv.url}/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })
    expect(res.status).toBe(200)
    const id = res.headers.get('x-skypilot-request-id')!
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect((await res.json()).request_id).toBe(id)
  })

  test('validation errors name each field; the SDK rebuilds the typed error', async () => {
    const res = await fetch(`${srv.url}/launch`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ task: 5, cluster_name: '-bad-' }) })
    expect(res.status).toBe(400)
    const err = (await res.json()).error
    const paths = err.details.issues.map((i: { path: string }) => i.path)
    expect(paths).toContain('task')
    expect(paths).toContain('cluster_name')
    await expect(client.submit('/launch', { cluster_name: 'ok' })).rejects.toBeInstanceOf(ValidationError)
  })

  test('unknown routes and requests are NOT_FOUND', async () => {
    expect((await fetch(`${srv.url}/nope`)).status).toBe(404)
    await expect(client.get('ffffffff')).rejects.toBeInstanceOf(NotFoundError)
  })
})

describe('request service', () => {
  test('submit, get and stream through the SDK', async () => {
    const id = await status(client, {})
    expect(await client.get(id)).toEqual([])
    const sleeper = await client.submit('/api/plugins/test.sleep', { seconds: 0.2, lines: 2 })
    let text = ''
    const result = await client.streamAndGet(sleeper, (s) => (text += s))
    expect(text).toBe('step 1/2\nstep 2/2\ndone\n')
    expect(result).toEqual({ slept: 0.2 })
  })

  test('sky check carries this machine\'s size on the local entry', async () => {
    const id = await client.submit('/check', { infra: ['local'] })
    const checks = (await client.get(id)) as { infra: string; enabled: boolean; capacity?: { cpus: number; memoryGb: number } }[]
    const local = checks.find((c) => c.infra === 'local')!
    expect(local.enabled).toBe(true)
    expect(local.capacity!.cpus).toBeGreaterThan(0)
    expect(local.capacity!.memoryGb).toBeGreaterThan(0)
  })

  test('a failing handler is FAILED with its error; a cancelled one is CANCELLED', async () => {
    const bad = await client.submit('/api/plugins/test.sleep', { seconds: 0.05, lines: 1, fail: true })
    await expect(client.get(bad)).rejects.toThrow('failed on purpose')
    const long = await client.submit('/api/plugins/test.sleep', { seconds: 30, lines: 30 })
    await Bun.sleep(100)
    expect(await client.apiCancel({ requestIds: [long.slice(0, 10)] })).toEqual([long])
    const row = await client.getRequest(long)
    expect(row.status).toBe('CANCELLED')
  })

  test('short requests do not wait behind long ones', async () => {
    const longs = await Promise.all(Array.from({ length: 12 }, () => client.submit('/api/plugins/test.sleep', { seconds: 2, lines: 1 })))
    const t = performance.now()
    await client.get(await status(client, {}))
    expect(performance.now() - t).toBeLessThan(1500)
    await client.apiCancel({ requestIds: longs })
  })

  test('finished requests older than the retention are collected with their logs', async () => {
    const id = await client.submit('/api/plugins/test.sleep', { seconds: 0.01, lines: 1 })
    await client.get(id)
    expect(srv.requests.logs.size(id)).toBeGreaterThan(0)
    await Bun.sleep(20)
    const n = await srv.requests.gc(10)
    expect(n).toBeGreaterThan(0)
    expect(await srv.store.requests.get(id)).toBeUndefined()
    expect(srv.requests.logs.size(id)).toBe(0)
  })
})
