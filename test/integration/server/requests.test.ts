// Request management through app.handle and the SDK: get, stream, status, cancel, prefixes,
// lanes, plugins, retention. (Restart recovery and auto-start: test/e2e/api-server.test.ts.)
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { status } from '../../../src/api/ops/clusters'
import { apiCancel, apiStatus, health } from '../../../src/api/ops/requests'
import { CancelledError, NotFoundError, type SkyError } from '../../../src/core/errors'
import { FINAL_STATUSES } from '../../../src/core/state/requests'
import { get, streamAndGet } from '../../../src/sdk'
import { waitFor } from '../../harness'
import { inProcessServer, type InProcessServer } from '../../harness/app'

let app: InProcessServer
beforeAll(async () => {
  app = await inProcessServer({ plugins: true })
})
afterAll(() => app.close())

const sleep = (body: Record<string, unknown>) => app.client().submit('/api/plugins/test.sleep', body)
const rowStatus = async (id: string) => (await app.srv.store.requests.get(id))?.status

describe('requests', () => {
  test('health names the caller and the server version', async () => {
    const h = await health({}, { client: app.client() })
    expect(h.status).toBe('healthy')
    expect(h.user).toEqual({ name: 'alice', id: 'abcd1234' })
    expect(h.started_at).toBeLessThan(Date.now() / 1000 + 1)
  })

  test('stream then get: the log in order, then the typed result', async () => {
    const client = app.client()
    expect(await get(await status({}, { client }), { client })).toEqual([])
    let text = ''
    const result = await streamAndGet(await sleep({ seconds: 0.05, lines: 2 }), { client, output: (s) => (text += s) })
    expect(text).toBe('step 1/2\nstep 2/2\ndone\n')
    expect(result).toEqual({ slept: 0.05 })
  })

  test('/api/get with timeout answers 202 and the row while the request runs', async () => {
    const id = await sleep({ seconds: 30, lines: 30 })
    await waitFor(async () => (await rowStatus(id)) === 'RUNNING', { what: `request ${id} to run` })
    const res = await app.handle(`/api/get?request_id=${id}&timeout=0`)
    expect(res.status).toBe(202)
    const row = await res.json()
    expect(row.status).toBe('RUNNING')
    expect(row.schedule_type).toBe('long')
    expect(row.created_at).toBeLessThan(1e11)
    expect(await apiCancel({ request_ids: [id.slice(0, 10)] }, { client: app.client() })).toEqual({ cancelled: [id] })
    expect(await rowStatus(id)).toBe('CANCELLED')
    await expect(app.client().get(id)).rejects.toBeInstanceOf(CancelledError)
  })

  test('a failing handler is FAILED with its error', async () => {
    await expect(app.client().get(await sleep({ seconds: 0.01, lines: 1, fail: true }))).rejects.toThrow('failed on purpose')
  })

  test('unknown ids are NOT_FOUND; ambiguous prefixes and empty ids are refused', async () => {
    await expect(app.client().get('ffffffff')).rejects.toBeInstanceOf(NotFoundError)
    for (const requestId of ['0123abcd-0000-4000-8000-000000000001', '0123abcd-0000-4000-8000-000000000002']) {
      await app.srv.store.requests.insert({ requestId, name: 'sky.status', userId: 'abcd1234', userName: 'alice', status: 'SUCCEEDED', lane: 'short', clusterName: null, body: {}, createdAt: Date.now() })
    }
    const amb = (await app.client().get('0123abcd').catch((e) => e)) as SkyError
    expect(amb.code).toBe('AMBIGUOUS')
    expect(amb.details!.matches).toHaveLength(2)
    expect((await app.handle('/api/get?request_id=')).status).toBe(400)
  })

  test('api status: active ones by default, all with all_status (1 or true), limited', async () => {
    const client = app.client()
    const long = await sleep({ seconds: 30, lines: 30 })
    await waitFor(async () => (await rowStatus(long)) === 'RUNNING', { what: 'the long request to run' })
    const active = await apiStatus({}, { client })
    expect(active.map((r) => r.request_id)).toEqual([long])
    const res = await app.handle('/api/status?all_status=1&limit=2', { headers: { 'x-sky-user-id': 'abcd1234' } })
    expect(res.status).toBe(200)
    expect((await res.json()).length).toBe(2)
    const all = await apiStatus({ all_status: true }, { client })
    expect(all.length).toBeGreaterThan(2)
    expect(all.every((r) => typeof r.created_at === 'number' && r.created_at < 1e11)).toBe(true)
    await apiCancel({ request_ids: [long] }, { client })
  })

  test('short requests do not wait behind long ones', async () => {
    const client = app.client()
    const longs = await Promise.all(Array.from({ length: 12 }, () => sleep({ seconds: 30, lines: 30 })))
    await get(await status({}, { client }), { client })
    // The status request finished while the long lane is still busy with (or queued on) the sleeps.
    const states = await Promise.all(longs.map(rowStatus))
    expect(states.filter((s) => s && FINAL_STATUSES.has(s))).toEqual([])
    const { cancelled } = await apiCancel({ request_ids: longs }, { client })
    expect(cancelled.sort()).toEqual([...longs].sort())
  })

  test('finished requests past the retention are collected with their logs', async () => {
    const id = await sleep({ seconds: 0.01, lines: 1 })
    await app.client().get(id)
    expect(await app.srv.requests.logs.size(id)).toBeGreaterThan(0)
    // A retention of -1 s puts the cut-off in the future: every finished request is old enough.
    expect(await app.srv.requests.gc(-1000)).toBeGreaterThan(0)
    expect(await app.srv.store.requests.get(id)).toBeUndefined()
    expect(await app.srv.requests.logs.size(id)).toBe(0)
  })
})
