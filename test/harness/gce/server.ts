// A small Compute Engine REST test server (no emulator exists): the /compute/v1 paths, JSON and
// errors that @google-cloud/compute's REST transport sends and expects, Bearer-token checking,
// fault rules by zone / machine type / spot, and a call log. Listens on 127.0.0.1 only.
import { FaultBook, type FaultHandle } from '../cloud/faults.ts'
import { SIDE_DOOR } from '../cloud/instance-sources.ts'
import { regionOfZone } from './catalog.ts'
import type { Ctx, Handler } from './context.ts'
import { GceHttpError, notFound, notImplemented, unauthenticated } from './errors.ts'
import { httpError, isOperationFault, normalizeGceRule, operationError, type GceCallFields, type GceFaultRule } from './faults.ts'
import { firewallHandlers, operationHandlers } from './firewalls.ts'
import { lastSegment } from './ids.ts'
import { acceleratorsOf, isSpot } from './instance-resource.ts'
import { instanceHandlers, preemptInstance, removeInstance } from './instances.ts'
import { Operations } from './operations.ts'
import { GceState, type Json } from './state.ts'
import type { ZoneOffering } from './catalog.ts'
import { viewHandlers } from './views.ts'

export interface GceServerOptions {
  project?: string
  /** The one access token accepted (Authorization: Bearer <token>). */
  token?: string
  /** Zones served (default: a few real regions' zones, see catalog.ts). */
  zones?: string[]
  /** Narrow what a zone offers: { 'us-east1-b': { machineTypes: ['n1-*'], acceleratorTypes: [] } }. */
  offerings?: Record<string, ZoneOffering>
  /** How long an operation takes to reach DONE (default 50 ms; 0: DONE in the response). */
  operationDelayMs?: number
  /** The longest a `wait` call blocks before returning a not-yet-DONE operation (Compute: ~2 min). */
  waitTimeoutMs?: number
}

export interface GceCall extends GceCallFields {
  seq: number
  httpMethod: string
  /** Path below /compute/v1/projects/{project}/ (with the query string). */
  path: string
  status: number
  /** The fault rule's code, when one answered or will fail the operation. */
  fault?: string
  /** Name of the operation returned, if any. */
  operation?: string
  /** The request body, as sent (POST calls). */
  body?: Json
}

type Route = { http: string; re: RegExp; keys: string[]; method: string; handler: Handler }

const route = (http: string, pattern: string, method: string, handler: Handler): Route => {
  const keys: string[] = []
  const re = new RegExp(`^${pattern.replace(/\{(\w+)\}/g, (_, k) => (keys.push(k), '([^/]+)'))}$`)
  return { http, re, keys, method, handler }
}

const ROUTES: Route[] = [
  route('GET', '', 'projects.get', viewHandlers.project),
  route('GET', 'zones', 'zones.list', viewHandlers.zonesList),
  route('GET', 'zones/{zone}', 'zones.get', viewHandlers.zonesGet),
  route('GET', 'regions', 'regions.list', viewHandlers.regionsList),
  route('GET', 'regions/{region}', 'regions.get', viewHandlers.regionsGet),
  route('GET', 'zones/{zone}/machineTypes', 'machineTypes.list', viewHandlers.machineTypesList),
  route('GET', 'zones/{zone}/machineTypes/{name}', 'machineTypes.get', viewHandlers.machineTypesGet),
  route('GET', 'zones/{zone}/acceleratorTypes', 'acceleratorTypes.list', viewHandlers.acceleratorTypesList),
  route('GET', 'zones/{zone}/acceleratorTypes/{name}', 'acceleratorTypes.get', viewHandlers.acceleratorTypesGet),
  route('GET', 'global/networks', 'networks.list', viewHandlers.networksList),
  route('GET', 'global/networks/{name}', 'networks.get', viewHandlers.networksGet),
  route('GET', 'regions/{region}/subnetworks', 'subnetworks.list', viewHandlers.subnetworksList),
  route('GET', 'regions/{region}/subnetworks/{name}', 'subnetworks.get', viewHandlers.subnetworksGet),
  route('GET', 'global/firewalls', 'firewalls.list', firewallHandlers.list),
  route('POST', 'global/firewalls', 'firewalls.insert', firewallHandlers.insert),
  route('GET', 'global/firewalls/{name}', 'firewalls.get', firewallHandlers.get),
  route('DELETE', 'global/firewalls/{name}', 'firewalls.delete', firewallHandlers.delete),
  route('GET', 'aggregated/instances', 'instances.aggregatedList', instanceHandlers.aggregatedList),
  route('GET', 'zones/{zone}/instances', 'instances.list', instanceHandlers.list),
  route('POST', 'zones/{zone}/instances', 'instances.insert', instanceHandlers.insert),
  route('GET', 'zones/{zone}/instances/{name}', 'instances.get', instanceHandlers.get),
  route('DELETE', 'zones/{zone}/instances/{name}', 'instances.delete', instanceHandlers.delete),
  route('POST', 'zones/{zone}/instances/{name}/stop', 'instances.stop', instanceHandlers.stop),
  route('POST', 'zones/{zone}/instances/{name}/start', 'instances.start', instanceHandlers.start),
  route('POST', 'zones/{zone}/instances/{name}/setLabels', 'instances.setLabels', instanceHandlers.setLabels),
  route('POST', 'zones/{zone}/instances/{name}/setMetadata', 'instances.setMetadata', instanceHandlers.setMetadata),
  route('GET', 'zones/{zone}/operations/{operation}', 'zoneOperations.get', operationHandlers.get),
  route('POST', 'zones/{zone}/operations/{operation}/wait', 'zoneOperations.wait', operationHandlers.wait),
  route('GET', 'global/operations/{operation}', 'globalOperations.get', operationHandlers.get),
  route('POST', 'global/operations/{operation}/wait', 'globalOperations.wait', operationHandlers.wait),
]

export const PREFIX = '/compute/v1/projects/'

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=UTF-8' } })

export function createGceServer(opts: GceServerOptions = {}) {
  const state = new GceState({ project: opts.project ?? 'sky-test-project', zones: opts.zones, offerings: opts.offerings })
  let token = opts.token ?? 'sky-test-token'
  let delayMs = opts.operationDelayMs ?? 50
  const ops = new Operations(state.project, () => delayMs)
  const book = new FaultBook<GceCallFields, GceFaultRule>(['method', 'project', 'zone', 'region', 'machineType', 'spot', 'accelerator'])
  let calls: GceCall[] = []
  let seq = 0

  function instanceFields(body: Json | undefined): Partial<GceCallFields> {
    if (!body?.machineType) return {}
    const accelerator = acceleratorsOf(body)[0]
    return { machineType: lastSegment(String(body.machineType)), spot: isSpot(body.scheduling), ...(accelerator ? { accelerator } : {}) }
  }

  async function handle(req: Request): Promise<Response> {
    const url = new URL(req.url)
    const authorized = req.headers.get('authorization') === `Bearer ${token}`
    if (url.pathname === SIDE_DOOR) return authorized ? json(sideDoor()) : json(unauthenticated(false).body(), 401)
    const call: GceCall = { seq: ++seq, method: 'unknown', project: '', httpMethod: req.method, path: url.pathname + url.search, status: 0 }
    calls.push(call)
    const respond = (body: unknown, status = 200) => {
      call.status = status
      return json(body, status)
    }
    try {
      if (!url.pathname.startsWith(PREFIX)) throw notImplemented(req.method, url.pathname)
      const rest = url.pathname.slice(PREFIX.length).replace(/\/$/, '')
      const [project, ...tail] = rest.split('/')
      const sub = tail.join('/')
      call.project = decodeURIComponent(project ?? '')
      call.path = sub + url.search
      let params: Record<string, string> = {}
      const r = ROUTES.find((x) => {
        if (x.http !== req.method) return false
        const m = x.re.exec(sub)
        if (m) params = Object.fromEntries(x.keys.map((k, i) => [k, decodeURIComponent(m[i + 1]!)]))
        return !!m
      })
      if (!r) throw notImplemented(req.method, url.pathname)
      call.method = r.method
      const text = req.method === 'GET' || req.method === 'DELETE' ? '' : await req.text()
      let body: Json | undefined
      if (text) {
        try {
          body = JSON.parse(text)
        } catch {
          throw new GceHttpError(400, 'parseError', 'Parse Error')
        }
      }
      if (body) call.body = body
      if (params.zone) Object.assign(call, { zone: params.zone, region: regionOfZone(params.zone) })
      if (params.region) call.region = params.region
      if (r.method === 'instances.insert') Object.assign(call, instanceFields(body))
      else if (r.method.startsWith('instances.') && params.zone && params.name) {
        Object.assign(call, instanceFields(state.instances.get(state.instanceKey(params.zone, params.name))))
      }
      if (!req.headers.get('authorization')) throw unauthenticated(true)
      if (!authorized) throw unauthenticated(false)
      const fields: GceCallFields = { ...call }
      const rule = book.take(fields)
      const ctx: Ctx = { state, ops, params, query: url.searchParams, body, waitTimeoutMs: opts.waitTimeoutMs ?? 30_000 }
      if (rule) {
        call.fault = typeof rule.fault === 'string' ? rule.fault : 'operationError' in rule.fault ? rule.fault.operationError : rule.fault.reason
        if (!isOperationFault(rule.fault)) throw httpError(rule.fault, fields, rule.quotaMetric)
        ctx.opFault = operationError(rule.fault, fields)
      }
      if (call.project !== state.project) throw notFound(`projects/${call.project}`)
      const result = await r.handler(ctx)
      if (result.kind === 'compute#operation') call.operation = result.name
      return respond(result)
    } catch (err) {
      if (err instanceof GceHttpError) return respond(err.body(), err.status)
      const message = `sky GCE test server error: ${(err as Error).stack ?? err}`
      return respond({ error: { code: 500, message, errors: [{ message, domain: 'global', reason: 'backendError' }] } }, 500)
    }
  }

  function sideDoor() {
    return [...state.instances.values()].map((i) => ({
      id: i.id,
      name: i.name,
      zone: lastSegment(i.zone),
      status: i.status,
      internalIps: i.networkInterfaces.map((n: Json) => n.networkIP),
      externalIps: i.networkInterfaces.flatMap((n: Json) => n.accessConfigs.map((a: Json) => a.natIP)).filter(Boolean),
      metadata: i.metadata.items ?? [],
    }))
  }

  const server = Bun.serve({ hostname: '127.0.0.1', port: 0, fetch: handle, idleTimeout: 0 })
  const endpoint = `http://127.0.0.1:${server.port}`

  return {
    /** http://127.0.0.1:PORT */
    endpoint,
    /** http://127.0.0.1:PORT/compute/v1/ (Terraform's form of a custom Compute endpoint). */
    baseUrl: `${endpoint}/compute/v1/`,
    port: server.port!,
    project: state.project,
    get token() {
      return token
    },
    /** Accept a different token from now on (the old one gets 401). */
    setToken(t: string) {
      token = t
    },
    setOperationDelay(ms: number) {
      delayMs = ms
    },
    /** Settings a provisioner reads to reach this server (see the README's "Test peers"). */
    get env(): Record<string, string> {
      return {
        GOOGLE_COMPUTE_CUSTOM_ENDPOINT: `${endpoint}/compute/v1/`,
        GOOGLE_OAUTH_ACCESS_TOKEN: token,
        GOOGLE_CLOUD_PROJECT: state.project,
        METADATA_SERVER_DETECTION: 'none',
      }
    },
    fail: (rule: GceFaultRule): FaultHandle => book.add(normalizeGceRule(rule)),
    clearFaults: () => book.clear(),
    get calls(): readonly GceCall[] {
      return calls
    },
    callsOf: (method: string) => calls.filter((c) => c.method === method),
    /** Every instance resource, as `instances.get` would return it. */
    instances: (): Json[] => structuredClone([...state.instances.values()]),
    instance: (zone: string, name: string): Json | undefined => structuredClone(state.instances.get(state.instanceKey(zone, name))),
    /** Spot preemption or host loss: TERMINATED (or gone, for instanceTerminationAction DELETE). */
    preempt: (zone: string, name: string) => preemptInstance(state, zone, name),
    /** Delete behind the provisioner's back (no operation, no call log entry). */
    deleteInstance: (zone: string, name: string) => removeInstance(state, zone, name),
    /** Forget instances, firewalls, operations, rules and the call log. */
    reset() {
      ops.clear()
      state.reset()
      book.clear()
      calls = []
      seq = 0
    },
    async stop() {
      ops.clear()
      await server.stop(true)
    },
  }
}

export type GceServer = ReturnType<typeof createGceServer>
