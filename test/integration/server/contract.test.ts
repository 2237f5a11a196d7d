// The API contract: every definition is unique, routed, loadable and in the OpenAPI document.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Value } from '@sinclair/typebox/value'
import { isRequestOp, type AnyDefinition } from '../../../src/api/define'
import * as catalog from '../../../src/api/ops/catalog'
import * as clusterOps from '../../../src/api/ops/clusters'
import * as infra from '../../../src/api/ops/infra'
import * as requestOps_ from '../../../src/api/ops/requests'
import * as dashboard from '../../../src/api/ops/dashboard'
import * as managedJobs from '../../../src/api/ops/managed-jobs'
import * as serveOps from '../../../src/api/ops/serve'
import * as uploads from '../../../src/api/ops/uploads'
import { SubmitResponse } from '../../../src/api/wire'
import { definitions, requestOps, resources } from '../../../src/api/registry'
import * as sdk from '../../../src/sdk'
import { waitFor } from '../../harness'
import { inProcessServer, type InProcessServer } from '../../harness/app'
import { openApiPath } from '../../../src/server/openapi'

let app: InProcessServer
beforeAll(async () => {
  app = await inProcessServer()
})
afterAll(() => app.close())

const methodOf = (d: AnyDefinition) => (isRequestOp(d) ? 'POST' : d.method)

describe('definitions', () => {
  test('names and (method, route) pairs are unique', () => {
    const names = definitions.map((d) => d.name)
    expect(new Set(names).size).toBe(names.length)
    const routes = definitions.map((d) => `${methodOf(d)} ${d.route}`)
    expect(new Set(routes).size).toBe(routes.length)
  })

  test('every handler loader loads a function', async () => {
    for (const d of definitions) expect({ name: d.name, type: typeof (await d.handler()) }).toEqual({ name: d.name, type: 'function' })
  })

  test('request operations are indexed by name for the executor', () => {
    const ops = definitions.filter(isRequestOp)
    expect([...requestOps.keys()].sort()).toEqual(ops.map((o) => o.name).sort())
    for (const op of ops) expect(['long', 'short']).toContain(op.lane)
  })

  test('the SDK exports every cluster, job, catalog, infra and user operation under its own name', () => {
    for (const group of ['clusters', 'jobs', 'catalog', 'infra', 'users'] as const) {
      for (const [key, def] of Object.entries(resources[group])) expect((sdk as Record<string, unknown>)[key]).toBe(def)
    }
    // Managed jobs as a namespace, as SkyPilot's sky.jobs; services as sky.serve.
    for (const [key, def] of Object.entries(resources.managedJobs)) expect((sdk.jobs as Record<string, unknown>)[key]).toBe(def)
    for (const [key, def] of Object.entries(resources.serve)) expect((sdk.serve as Record<string, unknown>)[key]).toBe(def)
  })
})

/** What the answer breaks in its definition's schema (empty: it conforms). */
function mismatches(schema: Parameters<typeof Value.Errors>[0], value: unknown): string[] {
  return [...Value.Errors(schema, value)].map((e) => `${e.path}: ${e.message}`)
}

describe('answers conform to the definitions', () => {
  test("endpoints' answers and operations' results match their result schemas", async () => {
    await app.srv.store.clusters.upsert({
      name: 'conf',
      userId: 'abcd1234',
      userName: 'alice',
      status: 'UP',
      infra: { cloud: 'local', region: 'local' },
      resources: { label: 'cpus=1, mem=1', capacity: { cpus: 1, memoryGb: 1, gpus: null }, instanceType: null },
      numNodes: 1,
      handle: { headIp: '127.0.0.1' },
      autostopMinutes: -1,
      autostopDown: false,
      launchedAt: Date.now(),
      lastUse: null,
      lastCommand: null,
      statusUpdatedAt: Date.now(),
      clusterHash: 'c',
      workspace: 'default',
      launched: null,
      nameOnCloud: null,
      statusReason: null,
    })
    const c = app.client()
    const submitted = await app.handle('/status', { method: 'POST', json: {} })
    expect(mismatches(SubmitResponse, await submitted.json())).toEqual([])
    // Operations: each result against its `result` schema.
    const results: [AnyDefinition, unknown][] = [
      [clusterOps.status, await c.get(await clusterOps.status({ all_users: true }, { client: c }))],
      [infra.check, await c.get(await infra.check({ infra: ['local'] }, { client: c }))],
      [catalog.listAccelerators, await c.get(await catalog.listAccelerators({ all: true }, { client: c }))],
      [catalog.optimize, await c.get(await catalog.optimize({ task: 'run: echo\n', dryrun: true }, { client: c }))],
    ]
    // A managed job that nothing can run (no infra offers 8 H100s): it ends FAILED_PRECHECKS
    // without a cluster, and every managed-jobs operation answers about it.
    const launched = await c.get(await managedJobs.launch({ task: 'name: nofit\nresources:\n  accelerators: H100:8\nrun: echo\n' }, { client: c }))
    results.push([managedJobs.launch, launched])
    const finished = await waitFor(async () => {
      const q = await c.get(await managedJobs.queue({ job_ids: [launched.job_id] }, { client: c }))
      return q.jobs.every((j) => j.status.startsWith('FAILED')) && q.jobs.length ? q : undefined
    }, 60_000, 100)
    results.push([managedJobs.queue, finished])
    results.push([managedJobs.cancel, await c.get(await managedJobs.cancel({ job_ids: [launched.job_id] }, { client: c }))])
    results.push([managedJobs.logs, await c.get(await managedJobs.logs({ job_id: launched.job_id, follow: false }, { client: c }))])
    // Services with replicas are checked against the schemas by the serve e2e tests (test/harness/serve.ts).
    results.push([serveOps.status, await c.get(await serveOps.status({}, { client: c }))])
    for (const [def, value] of results) expect({ op: def.name, errors: mismatches(def.result, value) }).toEqual({ op: def.name, errors: [] })
    // Endpoints: the raw JSON answers.
    const [latest] = await requestOps_.apiStatus({ all_status: true, limit: 1 }, { client: c })
    const answers: [AnyDefinition, string][] = [
      [requestOps_.health, '/api/health'],
      [requestOps_.apiStatus, '/api/status?all_status=true'],
      [requestOps_.apiGet, `/api/get?request_id=${latest!.request_id}`],
      [dashboard.dashboardClusters, '/api/dashboard/clusters?all_users=true'],
      [dashboard.dashboardRequests, '/api/dashboard/requests'],
      [dashboard.dashboardJobs, '/api/dashboard/jobs?all_users=1'],
      [dashboard.dashboardServices, '/api/dashboard/services'],
    ]
    expect(mismatches(uploads.uploadMissing.result, await uploads.uploadMissing({ blobs: [{ h: 'a'.repeat(64), s: 1 }] }, { client: c }))).toEqual([])
    for (const [def, path] of answers) {
      const res = await app.handle(path, { headers: { 'x-sky-user-id': 'abcd1234', 'x-sky-user-name': 'alice' } })
      expect({ path, status: res.status, errors: mismatches(def.result, await res.json()) }).toEqual({ path, status: 200, errors: [] })
    }
  })
})

describe('routes', () => {
  test('every definition is answered by the app (no 404 for its method and route)', async () => {
    for (const d of definitions) {
      const method = methodOf(d)
      const init: RequestInit & { json?: unknown } = method === 'POST' ? { method, json: {} } : method === 'PUT' ? { method, body: new Uint8Array(0) } : {}
      const res = await app.handle(d.route, init)
      expect({ route: `${methodOf(d)} ${d.route}`, notFoundRoute: res.status === 404 && (await res.text()).includes('No such endpoint') }).toEqual({
        route: `${methodOf(d)} ${d.route}`,
        notFoundRoute: false,
      })
    }
  })

  test('GET /api/openapi.json documents every operation and endpoint', async () => {
    const res = await app.handle('/api/openapi.json')
    expect(res.status).toBe(200)
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, { operationId: string; 'x-sky-result'?: unknown; requestBody?: unknown }>> }
    expect(doc.openapi).toBe('3.1.0')
    for (const d of definitions) {
      const op = doc.paths[openApiPath(d.route)]?.[methodOf(d).toLowerCase()]
      expect({ name: d.name, documented: op?.operationId }).toEqual({ name: d.name, documented: d.name })
      if (isRequestOp(d)) {
        expect(op!['x-sky-result']).toBeDefined()
        expect(op!.requestBody).toBeDefined()
      }
    }
  })

  test('every route the app serves is in the OpenAPI document, but the dashboard\'s pages and plugins\' operations', async () => {
    const doc = (await (await app.handle('/api/openapi.json')).json()) as { paths: Record<string, Record<string, unknown>> }
    const documented = new Set(Object.entries(doc.paths).flatMap(([p, ms]) => Object.keys(ms).map((m) => `${m.toUpperCase()} ${p}`)))
    // The web pages (not API), this document itself, the operations server plugins add at run time,
    // and the WebSocket byte stream of `ssh <cluster>` on Kubernetes (OpenAPI does not describe WebSockets).
    const notApi = new Set(['GET /', 'GET /dashboard', 'GET /dashboard/*', 'GET /api/openapi.json', 'GET /api/plugins', 'POST /api/plugins/{name}', 'WS /kubernetes-pod-ssh-proxy'])
    const routes = (app.srv.app as unknown as { routes: { method: string; path: string }[] }).routes.map((r) => `${r.method} ${openApiPath(r.path)}`)
    expect(routes.filter((r) => !documented.has(r) && !notApi.has(r))).toEqual([])
  })
})
