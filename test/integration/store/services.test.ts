// The services tables on SQLite and a real PostgreSQL: recording a service (idempotent per
// request, names and ports unique), versions, replicas with fenced writes, down requests, tokens
// stored hashed, and removal.
import { describe, expect, test } from 'bun:test'
import type { Store } from '../../../src/core/state/store'
import { BACKENDS, storeFixture } from './backends'

const base = { userId: 'u1', userName: 'alice', userRole: null, lbHost: '127.0.0.1', taskYaml: 'run: x\n', config: null }

async function scenario(store: Store): Promise<void> {
  // insert: a re-run of the same request finds its service; another request gets "exists"; a taken port "port"
  const a = await store.services.insert({ ...base, name: 'svc', lbPort: 30001, requestId: 'req-1' })
  expect(a).toMatchObject({ name: 'svc', status: 'CONTROLLER_INIT', currentVersion: 1, nextReplicaId: 1, lbPort: 30001 })
  expect(await store.services.insert({ ...base, name: 'svc', lbPort: 30001, requestId: 'req-1' })).toMatchObject({ name: 'svc' })
  expect(await store.services.insert({ ...base, name: 'svc', lbPort: 30002, requestId: 'req-2' })).toBe('exists')
  expect(await store.services.insert({ ...base, name: 'other', lbPort: 30001, requestId: 'req-3' })).toBe('port')
  expect([...(await store.services.ports())]).toEqual([30001])
  // versions: each update adds the next and makes it current
  expect(await store.services.addVersion('svc', 'run: y\n', 'blue_green')).toBe(2)
  const v = await store.services.versions('svc')
  expect(v.map((x) => [x.version, x.mode, x.taskYaml])).toEqual([
    [1, 'rolling', 'run: x\n'],
    [2, 'blue_green', 'run: y\n'],
  ])
  expect((await store.services.get('svc'))!.currentVersion).toBe(2)
  // replicas: ids never reused; writes are fenced by the service lease
  const now = Date.now()
  const fence = (await store.leases.acquire('serve', 'svc', 'me', now, now + 60_000))!
  const r1 = (await store.services.addReplica('svc', 2, 'svc', false, fence))!
  const r2 = (await store.services.addReplica('svc', 2, 'svc', true, fence))!
  expect([r1.replicaId, r1.clusterName, r1.status, r2.replicaId, r2.isSpot]).toEqual([1, 'svc-1', 'PENDING', 2, true])
  expect(await store.services.updateReplica('svc', 1, { status: 'READY', url: 'http://10.0.0.1:8080', network: { mode: 'netns', tag: 't', replicaId: 1, port: 8080 } }, fence)).toBe(true)
  expect((await store.services.replicas('svc'))[0]).toMatchObject({ status: 'READY', url: 'http://10.0.0.1:8080', network: { mode: 'netns' } })
  // Another replica takes the lease over: the old owner's writes no longer land.
  const later = Date.now() + 120_000
  const taken = (await store.leases.acquire('serve', 'svc', 'other', later, later + 60_000))!
  expect(taken.epoch).toBe(fence.epoch + 1)
  expect(await store.services.updateReplica('svc', 1, { status: 'FAILED' }, fence)).toBe(false)
  expect(await store.services.addReplica('svc', 2, 'svc', false, fence)).toBeUndefined()
  expect(await store.services.removeReplica('svc', 2, taken)).toBe(true)
  expect((await store.services.addReplica('svc', 2, 'svc', false, taken))!.replicaId).toBe(3)
  // tokens: hashed, unique per name, revoked once
  expect(await store.services.addToken({ service: 'svc', name: 'ci', hash: 'h1', hint: 'sky_svc_abcd…', createdBy: 'alice', createdAt: 1 })).toBe(true)
  expect(await store.services.addToken({ service: 'svc', name: 'ci', hash: 'h2', hint: 'x', createdBy: 'alice', createdAt: 2 })).toBe(false)
  expect(await store.services.revokeToken('svc', 'ci')).toBe(true)
  expect(await store.services.revokeToken('svc', 'ci')).toBe(false)
  expect((await store.services.tokens('svc'))[0]).toMatchObject({ name: 'ci', hash: 'h1' })
  // down request keeps purge once set; remove drops the service and everything under it
  expect(await store.services.requestDown('svc', true)).toBe(true)
  expect(await store.services.requestDown('svc', false)).toBe(true)
  expect(await store.services.get('svc')).toMatchObject({ downRequested: true, purge: true })
  expect(await store.services.remove('svc')).toBe(true)
  expect(await store.services.get('svc')).toBeUndefined()
  expect(await store.services.replicas('svc')).toEqual([])
  expect(await store.services.tokens('svc')).toEqual([])
  expect(await store.services.versions('svc')).toEqual([])
  expect(await store.services.requestDown('svc', false)).toBe(false)
}

for (const kind of BACKENDS) {
  describe(`services state (${kind})`, () => {
    const f = storeFixture(kind)
    test('record, version, fenced replicas, tokens, down and removal', async () => {
      await scenario(await f.fresh())
    })
  })
}
