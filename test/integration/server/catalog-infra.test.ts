// Planning, catalog and infra routes through app.handle: optimize, list_accelerators, check.
// (Admin-only SSH node pool operations: users.test.ts, on a deployed server.)
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { listAccelerators, optimize } from '../../../src/api/ops/catalog'
import { check } from '../../../src/api/ops/infra'
import { inProcessServer, type InProcessServer } from '../../harness/app'

let app: InProcessServer
beforeAll(async () => {
  app = await inProcessServer()
})
afterAll(() => app.close())

describe('catalog', () => {
  test('a dry run plans a task and says which cluster state it would meet', async () => {
    const c = app.client()
    const plan = await c.get(await optimize({ task: 'resources:\n  cpus: 1\nrun: echo hi\n', cluster_name: 'new-one', dryrun: true }, { client: c }))
    expect(plan.cluster_status).toBeNull()
    expect(plan.cluster_owner).toBeNull()
    expect(plan.plan_text).toContain('Considered resources')
  })

  test('list_accelerators answers the wire form of the GPU list', async () => {
    const c = app.client()
    const r = await c.get(await listAccelerators({ all: true }, { client: c }))
    expect(Array.isArray(r.list.common)).toBe(true)
    expect(typeof r.list.all_regions).toBe('boolean')
    for (const row of r.list.detail ?? []) expect(Object.keys(row)).not.toContain('instanceType')
    expect(typeof r.text).toBe('string')
  })
})

describe('infra', () => {
  test("sky check's local entry carries this machine's size in snake_case", async () => {
    const c = app.client()
    const checks = await c.get(await check({ infra: ['local'] }, { client: c }))
    const local = checks.find((x) => x.infra === 'local')!
    expect(local.enabled).toBe(true)
    expect(local.capacity!.cpus).toBeGreaterThan(0)
    expect(local.capacity!.memory_gb).toBeGreaterThan(0)
  })
})
