// Job routes (exec, queue, cancel, logs, job_status) through app.handle: validation and the
// errors clusters that cannot run jobs give. Jobs on real clusters: test/e2e/clusters-local.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cancel, exec, jobStatus, logs, queue } from '../../../src/api/ops/jobs'
import { ConflictError, NotFoundError, ValidationError } from '../../../src/core/errors'
import { inProcessServer, type InProcessServer } from '../../harness/app'

let app: InProcessServer
beforeAll(async () => {
  app = await inProcessServer()
  await app.srv.store.clusters.upsert({
    name: 'stopped',
    userId: 'abcd1234',
    userName: 'alice',
    status: 'STOPPED',
    infra: { cloud: 'local' },
    resources: { label: 'cpus=1, mem=1' },
    numNodes: 1,
    handle: null,
    autostopMinutes: -1,
    autostopDown: false,
    launchedAt: Date.now(),
    lastUse: null,
    lastCommand: null,
    statusUpdatedAt: Date.now(),
    clusterHash: 'x',
    workspace: 'default',
    launched: null,
    nameOnCloud: null,
    statusReason: null,
  })
})
afterAll(() => app.close())

describe('jobs on clusters', () => {
  test('job ids must be positive integers', async () => {
    const res = await app.handle('/cancel', { method: 'POST', json: { cluster_name: 'c', job_ids: [0, 1.5] } })
    expect(res.status).toBe(400)
    const paths = ((await res.json()).error.details.issues as { path: string }[]).map((i) => i.path)
    expect(paths).toContain('job_ids[0]')
    await expect(logs({ cluster_name: 'c', tail: -1 }, { client: app.client() })).rejects.toBeInstanceOf(ValidationError)
  })

  test('a missing cluster is NOT_FOUND for every job operation', async () => {
    const c = app.client()
    const opt = { client: c }
    for (const id of [await queue({ cluster_name: 'ghost' }, opt), await cancel({ cluster_name: 'ghost', all: true }, opt), await jobStatus({ cluster_name: 'ghost' }, opt)]) {
      await expect(c.get(id)).rejects.toBeInstanceOf(NotFoundError)
    }
  })

  test('a stopped cluster refuses exec and queue with how to start it', async () => {
    const c = app.client()
    const err = await c.get(await exec({ cluster_name: 'stopped', task: 'run: echo hi\n' }, { client: c })).catch((e) => e)
    expect(err).toBeInstanceOf(ConflictError)
    expect(err.hint).toBe('Start it with: sky start stopped')
    await expect(c.get(await queue({ cluster_name: 'stopped' }, { client: c }))).rejects.toBeInstanceOf(ConflictError)
  })

  test('exec is recorded on its cluster, as safe to re-run (the agent deduplicates its job by request id)', async () => {
    const c = app.client()
    const id = await exec({ cluster_name: 'stopped', task: 'run: echo hi\n' }, { client: c })
    await c.get(id).catch(() => {})
    const row = (await app.srv.store.requests.get(id))!
    expect(row.clusterName).toBe('stopped')
    expect(app.srv.requests.opMeta('sky.exec')!.idempotent).toBe(true)
  })
})
