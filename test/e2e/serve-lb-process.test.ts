// The load balancer as its own process (`sky _serve-lb`, the compiled binary): state from
// lb.json applied as it changes, stats over the control socket, independent of whoever started
// it, drained and gone on stop.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ensureLbProcess, lbHealth, lbPid, lbStats, stopLbProcess, updateLbState } from '../../src/core/serve/lb/control'
import type { LbState } from '../../src/core/serve/lb/state-file'
import { createToken } from '../../src/core/serve/lb/tokens'
import { freePort, pidAlive, ROOT, SKY_BIN } from '../harness'
import { startReplica, until, type TestReplica } from '../integration/serve/replicas'

let dir: string
let a: TestReplica
let b: TestReplica
let port: number
/** The load balancer process is the compiled binary. */
const command = [SKY_BIN]

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sky-lb-proc-'))
  ;[a, b] = await Promise.all([startReplica('a'), startReplica('b')])
  port = await freePort()
})
afterAll(async () => {
  await stopLbProcess(dir, 3_000)
  a.kill('SIGKILL')
  b.kill('SIGKILL')
  rmSync(dir, { recursive: true, force: true })
})

const get = async (path = '/', headers: Record<string, string> = {}) => {
  const r = await fetch(`http://127.0.0.1:${port}${path}`, { headers })
  return { status: r.status, body: await r.text() }
}

describe('sky _serve-lb', () => {
  test('started by a process that then dies, it keeps serving', async () => {
    const state: LbState = { service: 'llm', host: '127.0.0.1', port, policy: 'round_robin', stream_timeout_seconds: 120, token_hashes: null, replicas: [{ url: a.url }] }
    // A stand-in for the API server: it starts the load balancer and is then killed.
    const starter = Bun.spawn(
      [process.execPath, '-e', `const { ensureLbProcess } = await import(${JSON.stringify(join(ROOT, 'src/core/serve/lb/control.ts'))}); const h = await ensureLbProcess(${JSON.stringify(dir)}, ${JSON.stringify(state)}, { command: ${JSON.stringify(command)} }); console.log(h.pid); await new Promise(() => {})`],
      { env: { ...process.env }, stdout: 'pipe', stderr: 'inherit' },
    )
    const reader = starter.stdout.getReader()
    const { value } = await reader.read()
    const pid = Number(new TextDecoder().decode(value).trim())
    starter.kill('SIGKILL')
    await starter.exited
    expect(lbPid(dir)).toBe(pid)
    expect(await get()).toEqual({ status: 200, body: 'a' })
    expect(statSync(join(dir, 'lb.json')).mode & 0o777).toBe(0o600)
    // ensureLbProcess on a running one only updates its state.
    expect((await ensureLbProcess(dir, state, { command })).pid).toBe(pid)
  })

  test('replica changes in lb.json take effect without a restart', async () => {
    updateLbState(dir, { replicas: [{ url: b.url }] })
    await until(async () => (await get()).body === 'b', 'the new membership')
    for (let i = 0; i < 5; i++) expect((await get()).body).toBe('b')
    updateLbState(dir, { replicas: [] })
    await until(async () => (await get()).status === 503, 'an empty membership')
    updateLbState(dir, { replicas: [{ url: a.url }, { url: b.url }] })
    await until(async () => (await get()).status === 200, 'replicas back')
  })

  test('tokens in lb.json: added and revoked', async () => {
    const t = createToken()
    updateLbState(dir, { token_hashes: [t.hash] })
    await until(async () => (await get()).status === 401, 'auth on')
    expect((await get('/', { authorization: `Bearer ${t.token}` })).status).toBe(200)
    updateLbState(dir, { token_hashes: [] })
    await until(async () => (await get('/', { authorization: `Bearer ${t.token}` })).status === 401, 'the token revoked')
    updateLbState(dir, { token_hashes: null })
    await until(async () => (await get()).status === 200, 'auth off')
  })

  test('stats for the autoscaler over the control socket', async () => {
    const since = Date.now()
    for (let i = 0; i < 10; i++) await get()
    const s = (await lbStats(dir, since))!
    expect(s.requests.reduce((n, x) => n + x.count, 0)).toBeGreaterThanOrEqual(10)
    expect(s.replicas.map((r) => r.url).sort()).toEqual([a.url, b.url].sort())
    expect((await lbHealth(dir))!.port).toBe(port)
  })

  test('a bad lb.json is ignored; the endpoint keeps its last good state', async () => {
    await Bun.write(join(dir, 'lb.json'), '{ not json')
    expect((await get()).status).toBe(200)
    // The file is unreadable now: updateLbState cannot merge into it, so write a whole good one.
    const { writeLbState } = await import('../../src/core/serve/lb/state-file')
    writeLbState(dir, { service: 'llm', host: '127.0.0.1', port, policy: 'least_load', stream_timeout_seconds: 120, token_hashes: null, replicas: [{ url: a.url }] })
    await until(async () => (await get()).body === 'a' && (await get()).body === 'a', 'the good state')
  })

  test('stop drains and frees the port', async () => {
    const pid = lbPid(dir)!
    await stopLbProcess(dir)
    expect(lbPid(dir)).toBeNull()
    expect(existsSync(join(dir, 'lb.sock'))).toBe(false)
    await expect(fetch(`http://127.0.0.1:${port}/`)).rejects.toBeDefined()
    expect(pidAlive(pid)).toBe(false)
  })
})
