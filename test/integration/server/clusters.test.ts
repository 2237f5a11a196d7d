// Cluster routes through app.handle: body validation, request ids, and the wire form of clusters.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { down, launch, status, stop } from '../../../src/api/ops/clusters'
import type { ClusterRecord } from '../../../src/core/state/clusters'
import { NotFoundError, ValidationError } from '../../../src/core/errors'
import { inProcessServer, type InProcessServer } from '../../harness/app'

let app: InProcessServer
beforeAll(async () => {
  app = await inProcessServer()
})
afterAll(() => app.close())

const record = (over: Partial<ClusterRecord> = {}): ClusterRecord => ({
  name: 'c1',
  userId: 'abcd1234',
  userName: 'alice',
  status: 'UP',
  infra: { cloud: 'ssh', region: 'pool-a' },
  resources: { label: 'cpus=4, mem=16', capacity: { cpus: 4, memoryGb: 16, gpus: { name: 'L4', count: 1 } }, instanceType: null },
  numNodes: 2,
  handle: { headIp: '10.0.0.5', nodes: [{ rank: 0, connect: { password: 'hunter2' } }] },
  autostopMinutes: 60,
  autostopDown: true,
  launchedAt: 1_700_000_000_123,
  lastUse: 1_700_000_100_000,
  lastCommand: 'sky launch -c c1 task.yaml',
  statusUpdatedAt: 1_700_000_050_999,
  clusterHash: 'h1',
  workspace: 'default',
  launched: null,
  nameOnCloud: null,
  statusReason: null,
  ...over,
})

describe('validation', () => {
  test('a bad body names each field, and nothing is submitted', async () => {
    const res = await app.handle('/launch', { method: 'POST', json: { task: 5, cluster_name: '-bad-' } })
    expect(res.status).toBe(400)
    const err = (await res.json()).error
    expect(err.code).toBe('VALIDATION')
    const issues = err.details.issues as { path: string; message: string }[]
    expect(issues.map((i) => i.path).sort()).toEqual(['cluster_name', 'task'])
    expect(issues.find((i) => i.path === 'cluster_name')!.message).toContain('1-63 letters')
    expect(await app.srv.store.requests.list({})).toEqual([])
  })

  test('the SDK rebuilds the typed error', async () => {
    await expect(stop({ cluster_name: '' }, { client: app.client() })).rejects.toBeInstanceOf(ValidationError)
    await expect(launch({ cluster_name: 'ok' } as never, { client: app.client() })).rejects.toBeInstanceOf(ValidationError)
  })

  test('an operation answers its request id in the header and the body', async () => {
    const res = await app.handle('/status', { method: 'POST', json: {} })
    expect(res.status).toBe(200)
    const id = res.headers.get('x-skypilot-request-id')!
    expect(id).toMatch(/^[0-9a-f-]{36}$/)
    expect(await res.json()).toEqual({ request_id: id })
    expect((await app.srv.store.requests.get(id))!.name).toBe('sky.status')
  })
})

describe('status', () => {
  test("clusters come back in SkyPilot's JSON form: snake_case, seconds, no handle", async () => {
    await app.srv.store.clusters.upsert(record())
    const c = app.client()
    const [got] = await c.get(await status({}, { client: c }))
    expect(got).toEqual({
      name: 'c1',
      status: 'UP',
      launched_at: 1_700_000_000,
      status_updated_at: 1_700_000_050,
      last_use: 'sky launch -c c1 task.yaml',
      last_activity_time: 1_700_000_100,
      last_event: null,
      autostop: 60,
      to_down: true,
      user_hash: 'abcd1234',
      user_name: 'alice',
      workspace: 'default',
      cluster_hash: 'h1',
      nodes: 2,
      cloud: 'ssh',
      region: 'pool-a',
      zone: null,
      infra: 'SSH (pool-a)',
      resources_str: '2x(cpus=4, mem=16)',
      instance_type: null,
      cpus: 4,
      memory: 16,
      accelerators: { L4: 1 },
      ports: [],
      head_ip: '10.0.0.5',
    })
    expect(JSON.stringify(got)).not.toContain('hunter2')
  })

  test("others' clusters show only with all_users; names filter by glob", async () => {
    await app.srv.store.clusters.upsert(record({ name: 'bobs', userId: 'bbbb0000', userName: 'bob' }))
    const c = app.client()
    const mine = await c.get(await status({}, { client: c }))
    expect(mine.map((x) => x.name)).toEqual(['c1'])
    const all = await c.get(await status({ all_users: true }, { client: c }))
    expect(all.map((x) => x.name).sort()).toEqual(['bobs', 'c1'])
    const glob = await c.get(await status({ all_users: true, cluster_names: ['b*'] }, { client: c }))
    expect(glob.map((x) => x.name)).toEqual(['bobs'])
  })

  test('acting on a missing cluster fails with NOT_FOUND', async () => {
    const c = app.client()
    await expect(c.get(await down({ cluster_name: 'nope' }, { client: c }))).rejects.toBeInstanceOf(NotFoundError)
  })
})
