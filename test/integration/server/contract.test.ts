// The API contract: every definition is unique, routed, loadable and in the OpenAPI document.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { isRequestOp, type AnyDefinition } from '../../../src/api/define'
import { definitions, requestOps, resources } from '../../../src/api/registry'
import * as sdk from '../../../src/sdk'
import { inProcessServer, type InProcessServer } from '../../harness/app'

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
  })
})

describe('routes', () => {
  test('every definition is answered by the app (no 404 for its method and route)', async () => {
    for (const d of definitions) {
      const init: RequestInit & { json?: unknown } = methodOf(d) === 'POST' ? { method: 'POST', json: {} } : {}
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
      const op = doc.paths[d.route]?.[methodOf(d).toLowerCase()]
      expect({ name: d.name, documented: op?.operationId }).toEqual({ name: d.name, documented: d.name })
      if (isRequestOp(d)) {
        expect(op!['x-sky-result']).toBeDefined()
        expect(op!.requestBody).toBeDefined()
      }
    }
  })
})
