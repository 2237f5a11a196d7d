// Managed-jobs routes (/jobs/launch, queue, cancel, logs and GET /api/dashboard/jobs) through
// app.handle on a deployed server: credentials, body validation, and who may see, cancel or read
// whose job (src/core/access.ts). Jobs that run on real clusters: test/e2e/jobs-*.test.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { cancel, launch, logs, queue } from '../../../src/api/ops/managed-jobs'
import { createUser } from '../../../src/api/ops/users'
import type { ManagedJob } from '../../../src/api/wire'
import { PermissionDeniedError, UsageError } from '../../../src/core/errors'
import { waitFor } from '../../harness'
import { inProcessServer, type InProcessServer } from '../../harness/app'

let app: InProcessServer
let rootJob: number
const basic = (u: string, p: string) => `Basic ${btoa(`${u}:${p}`)}`
const admin = () => app.client({ authorization: basic('root', 'rootpass1') })
const bob = () => app.client({ authorization: basic('bob', 'bobpass12') })

beforeAll(async () => {
  app = await inProcessServer({ deploy: true, config: 'api_server:\n  initial_admin: root:rootpass1\n' })
  await createUser({ name: 'bob', password: 'bobpass12' }, { client: admin() })
  // No infra offers eight H100s: the job ends FAILED_PRECHECKS without any cluster.
  const c = admin()
  rootJob = (await c.get(await launch({ task: 'name: roots\nresources:\n  accelerators: H100:8\nrun: echo\n' }, { client: c }))).job_id
  await waitFor(async () => (await c.get(await queue({ job_ids: [rootJob] }, { client: c }))).jobs[0]?.status === 'FAILED_PRECHECKS', 60_000, 100)
})
afterAll(() => app.close())

describe('managed jobs: routing and validation', () => {
  test('no credentials: 401 before any request exists', async () => {
    const before = (await app.srv.store.requests.list({})).length
    for (const route of ['/jobs/launch', '/jobs/queue', '/jobs/cancel', '/jobs/logs']) {
      expect({ route, status: (await app.handle(route, { method: 'POST', json: {} })).status }).toEqual({ route, status: 401 })
    }
    expect((await app.handle('/api/dashboard/jobs')).status).toBe(401)
    expect((await app.srv.store.requests.list({})).length).toBe(before)
  })

  test('bodies are validated against the definitions: each bad field named', async () => {
    const auth = { authorization: basic('bob', 'bobpass12') }
    const issues = async (route: string, json: unknown) => {
      const res = await app.handle(route, { method: 'POST', json, headers: auth })
      expect({ route, status: res.status }).toEqual({ route, status: 400 })
      return ((await res.json()).error.details.issues as { path: string }[]).map((i) => i.path)
    }
    expect(await issues('/jobs/launch', { task: '' })).toContain('task')
    expect(await issues('/jobs/cancel', { job_ids: [0] })).toContain('job_ids[0]')
    expect(await issues('/jobs/logs', { tail: -1 })).toContain('tail')
    expect(await issues('/jobs/queue', { limit: 'ten' })).toContain('limit')
    // An unknown status is the handler's to refuse, naming the known ones.
    const err = await bob().get(await queue({ statuses: ['SLEEPING'] }, { client: bob() })).catch((e) => e)
    expect(err).toBeInstanceOf(UsageError)
    expect(err.message).toContain('SUCCEEDED')
  })
})

describe("managed jobs: whose jobs a user sees and acts on", () => {
  test('a user lists their own jobs; with all_users everyone\'s (as the dashboard does)', async () => {
    const c = bob()
    expect((await c.get(await queue({}, { client: c }))).jobs).toEqual([])
    const all = await c.get(await queue({ all_users: true }, { client: c }))
    expect(all.jobs.map((j) => [j.job_id, j.user_name])).toEqual([[rootJob, 'root']])
    const dash = async (q: string) => (await (await app.handle(`/api/dashboard/jobs${q}`, { headers: { authorization: basic('bob', 'bobpass12') } })).json()) as { jobs: ManagedJob[] }
    expect((await dash('')).jobs).toEqual([])
    expect((await dash('?all_users=1')).jobs.map((j) => j.job_id)).toEqual([rootJob])
  })

  test("a user may not cancel another's job, cancel everyone's, or read another's logs", async () => {
    const c = bob()
    for (const id of [await cancel({ job_ids: [rootJob] }, { client: c }), await cancel({ all_users: true }, { client: c }), await logs({ job_id: rootJob, follow: false }, { client: c })]) {
      await expect(c.get(id)).rejects.toBeInstanceOf(PermissionDeniedError)
    }
  })

  test('an admin may: a finished job is reported as already finished', async () => {
    const c = admin()
    expect(await c.get(await cancel({ job_ids: [rootJob] }, { client: c }))).toEqual({ cancelled: [], still_cancelling: [], already_finished: [rootJob], requests_cancelled: [] })
    expect(await c.get(await logs({ job_id: rootJob, follow: false }, { client: c }))).toEqual({ job_id: rootJob, status: 'FAILED_PRECHECKS', exit_code: 100 })
  })
})
