// Readiness probes against a real HTTP server, with a fake clock for the delays.
import { afterAll, describe, expect, test } from 'bun:test'
import { probeOnce, ReplicaProber } from '../../../src/core/serve/probe'
import type { ReadinessProbeSpec } from '../../../src/core/serve/spec'

let healthy = false
let hang = false
const seen: { method: string; body: string; key: string | null }[] = []
const server = Bun.serve({
  hostname: '127.0.0.1',
  port: 0,
  async fetch(req) {
    seen.push({ method: req.method, body: await req.text(), key: req.headers.get('x-key') })
    if (hang) await new Promise(() => {})
    return healthy ? new Response('ok') : new Response('not yet', { status: 503 })
  },
})
afterAll(() => server.stop(true))
const base = `http://127.0.0.1:${server.port}`

const spec = (p: Partial<ReadinessProbeSpec> = {}): ReadinessProbeSpec => ({ path: '/health', initialDelaySeconds: 60, timeoutSeconds: 5, intervalSeconds: 10, failureThresholdSeconds: 30, ...p })

describe('probeOnce', () => {
  test('GET by default; 200 is ready, anything else is not', async () => {
    healthy = false
    seen.length = 0
    expect(await probeOnce(base, spec())).toMatchObject({ ok: false, status: 503, error: 'HTTP 503' })
    healthy = true
    expect(await probeOnce(base, spec())).toMatchObject({ ok: true, status: 200 })
    expect(seen.map((s) => s.method)).toEqual(['GET', 'GET'])
  })

  test('post_data makes it a POST with a JSON body; headers are sent', async () => {
    healthy = true
    seen.length = 0
    await probeOnce(base, spec({ postData: { model: 'm' }, headers: { 'x-key': 'k1' } }))
    expect(seen).toEqual([{ method: 'POST', body: '{"model":"m"}', key: 'k1' }])
  })

  test('a replica that does not answer in time fails the probe', async () => {
    hang = true
    const r = await probeOnce(base, spec({ timeoutSeconds: 0.2 }))
    hang = false
    expect(r).toMatchObject({ ok: false, error: 'no answer within 0.2s' })
  })

  test('nothing listening fails the probe', async () => {
    const dead = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: () => new Response() })
    const url = `http://127.0.0.1:${dead.port}`
    dead.stop(true)
    expect((await probeOnce(url, spec())).ok).toBe(false)
  })
})

describe('ReplicaProber statuses on a fake clock', () => {
  test('never ready within initial_delay_seconds ⇒ FAILED_INITIAL_DELAY', async () => {
    healthy = false
    let now = 1_000_000
    const p = new ReplicaProber(base, spec({ initialDelaySeconds: 60 }), () => now)
    expect((await p.step()).status).toBe('STARTING')
    now += 59_000
    expect((await p.step()).status).toBe('STARTING')
    now += 2_000
    expect(await p.step()).toMatchObject({ status: 'FAILED_INITIAL_DELAY', changed: true })
    healthy = true
    expect((await p.step()).status).toBe('FAILED_INITIAL_DELAY')
  })

  test('ready, then failing: NOT_READY, back to READY, and FAILED_PROBING past the threshold', async () => {
    healthy = true
    let now = 5_000_000
    const p = new ReplicaProber(base, spec({ failureThresholdSeconds: 30 }), () => now)
    expect(await p.step()).toMatchObject({ status: 'READY', changed: true })
    healthy = false
    now += 10_000
    expect((await p.step()).status).toBe('NOT_READY')
    healthy = true
    now += 10_000
    expect((await p.step()).status).toBe('READY')
    healthy = false
    now += 10_000
    expect((await p.step()).status).toBe('NOT_READY') // a new run of failures starts here
    now += 30_000
    expect((await p.step()).status).toBe('NOT_READY')
    now += 1_000
    expect(await p.step()).toMatchObject({ status: 'FAILED_PROBING', changed: true })
    expect(p.tracker.lastError).toBe('HTTP 503')
  })
})
