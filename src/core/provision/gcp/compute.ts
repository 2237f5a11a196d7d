// Typed Compute calls over the adapter in the GCP SDK bundle (../cloud-sdk/gcp.ts, loaded on first
// use): the project, credentials and endpoint are resolved for each call (./credentials.ts,
// ./endpoint.ts: cheap file reads, no network), errors become the typed failures of ./errors.ts,
// and long-running operations are waited on until DONE — a launch's capacity error often shows
// only in the finished operation.
import { homedir } from 'node:os'
import { loadGcpSdk } from '../cloud-sdk/load-gcp'
import type { GcpClientSpec, GcpService } from '../cloud-sdk/gcp'
import { CapacityError, InfraAuthError, InfraConfigError } from '../errors'
import { pause } from '../../pause'
import { describeGcpCredentials, gcpCredentials, type GcpCredentials } from './credentials'
import { computeEndpoint } from './endpoint'
import { gcpFailure, grpcCode, operationFailure, type Where } from './errors'

export interface GcpContext {
  spec: GcpClientSpec
  project: string
  credentials: GcpCredentials
  /** The custom endpoint as configured, or null for Google's. */
  endpointShown: string | null
}

let metadataProject: Promise<string> | undefined

/** Credentials, project and endpoint from this process's environment; typed errors when missing. */
export async function gcpContext(env: Record<string, string | undefined> = process.env): Promise<GcpContext> {
  const home = env.HOME || homedir()
  const credentials = gcpCredentials(env, home)
  if (!credentials.found || !credentials.auth) {
    throw new InfraAuthError(`GCP: ${credentials.detail}`, { infra: 'gcp', hint: 'Set up credentials, then: sky check gcp' })
  }
  const ep = computeEndpoint(env)
  const auth = credentials.auth
  const spec: GcpClientSpec = {
    auth: auth.kind === 'token' ? { kind: 'token', token: auth.token } : auth.kind === 'file' ? { kind: 'file', path: auth.path, mtimeMs: auth.mtimeMs } : { kind: 'metadata' },
    endpoint: ep.endpoint,
  }
  let project = credentials.project
  if (!project && auth.kind === 'metadata') {
    metadataProject ??= loadGcpSdk().then((sdk) => sdk.gcpMetadataProject())
    metadataProject.catch(() => (metadataProject = undefined))
    project = await metadataProject.catch((e) => {
      throw gcpFailure(e, { region: null, zone: null, op: 'metadata project' })
    })
  }
  if (!project) throw new InfraConfigError(`GCP: ${describeGcpCredentials(credentials)}`, { infra: 'gcp', hint: 'Set GOOGLE_CLOUD_PROJECT, or: gcloud config set project <id>' })
  return { spec, project, credentials: { ...credentials, project }, endpointShown: ep.shown }
}

export interface CallOptions {
  signal?: AbortSignal
  region?: string | null
  zone?: string | null
  /** gRPC codes returned as `{ tolerated: code }` instead of thrown (NOT_FOUND on a delete...). */
  tolerate?: number[]
  /** The context to use (default: resolved now). */
  ctx?: GcpContext
}

export interface Tolerated {
  tolerated: number
}

export const isTolerated = (v: unknown): v is Tolerated => !!v && typeof v === 'object' && typeof (v as Tolerated).tolerated === 'number' && Object.keys(v).length === 1

/** One Compute call; `request` gets `project` added. */
export async function gce<T = unknown>(service: GcpService, method: string, request: Record<string, unknown>, o: CallOptions = {}): Promise<T | Tolerated> {
  const ctx = o.ctx ?? (await gcpContext())
  const sdk = await loadGcpSdk()
  try {
    return (await sdk.gcpCall(ctx.spec, service, method, { project: ctx.project, ...request }, { signal: o.signal })) as T
  } catch (e) {
    const code = grpcCode(e)
    if (code !== undefined && o.tolerate?.includes(code)) return { tolerated: code }
    throw gcpFailure(e, { region: o.region ?? null, zone: o.zone ?? null, op: `${service}.${method}` })
  }
}

/** `gce` for calls that tolerate nothing. */
export async function gceOk<T = unknown>(service: GcpService, method: string, request: Record<string, unknown>, o: Omit<CallOptions, 'tolerate'> = {}): Promise<T> {
  return (await gce<T>(service, method, request, o)) as T
}

/** Every instance of the project whose labels match `filter`, per zone. */
export async function gceInstances(filter: string, o: CallOptions = {}): Promise<{ zone: string; instances: GceInstance[] }[]> {
  const ctx = o.ctx ?? (await gcpContext())
  const sdk = await loadGcpSdk()
  try {
    const pairs = await sdk.gcpAggregated(ctx.spec, 'instances', { project: ctx.project, filter, returnPartialSuccess: true }, { signal: o.signal })
    return pairs.map(([scope, list]) => ({ zone: scope.replace(/^zones\//, ''), instances: ((list as { instances?: GceInstance[] | null }).instances ?? []) as GceInstance[] }))
  } catch (e) {
    throw gcpFailure(e, { region: o.region ?? null, zone: null, op: 'instances.aggregatedList' })
  }
}

// ── Compute's JSON, as much of it as sky reads ───────────────────────────────────────────────

export interface GceOperation {
  name?: string | null
  status?: string | null
  zone?: string | null
  targetLink?: string | null
  error?: { errors?: { code?: string | null; message?: string | null }[] | null } | null
  httpErrorStatusCode?: number | null
}

export interface GceInstance {
  id?: string | null
  name?: string | null
  zone?: string | null
  status?: string | null
  statusMessage?: string | null
  labels?: Record<string, string> | null
  labelFingerprint?: string | null
  creationTimestamp?: string | null
  scheduling?: { provisioningModel?: string | null; preemptible?: boolean | null } | null
  networkInterfaces?: { networkIP?: string | null; accessConfigs?: { natIP?: string | null }[] | null }[] | null
  tags?: { items?: string[] | null } | null
}

export interface GceFirewall {
  name?: string | null
  allowed?: { IPProtocol?: string | null; ports?: string[] | null }[] | null
  targetTags?: string[] | null
}

/** Give up waiting on one operation after this long (Compute's own `wait` returns every ~2 min). */
const OP_DEADLINE_MS = 15 * 60_000

/**
 * Wait until a zone operation (or a global one, zone null) is DONE; throws the typed failure of
 * its first error. Returns the finished operation.
 */
export async function waitOperation(op: GceOperation, scope: { zone: string | null; region?: string | null; what: string }, o: CallOptions = {}): Promise<GceOperation> {
  const ctx = o.ctx ?? (await gcpContext())
  const until = Date.now() + OP_DEADLINE_MS
  let cur = op
  for (let i = 0; cur.status !== 'DONE'; i++) {
    if (!cur.name) throw new InfraConfigError(`Compute ${scope.what}: the answer named no operation to wait on.`, { infra: 'gcp' })
    if (Date.now() > until) throw new CapacityError(`Compute ${scope.what}: operation ${cur.name} did not finish within ${OP_DEADLINE_MS / 60_000} minutes.`, { infra: 'gcp', region: scope.region ?? null, zone: scope.zone })
    const next = scope.zone
      ? await gce<GceOperation>('zoneOperations', 'wait', { zone: scope.zone, operation: cur.name }, { ...o, ctx, tolerate: [] })
      : await gce<GceOperation>('globalOperations', 'wait', { operation: cur.name }, { ...o, ctx, tolerate: [] })
    cur = next as GceOperation
    // `wait` answers at once for a DONE operation; a server that answers early otherwise is polled gently.
    if (cur.status !== 'DONE' && i > 0) await pause(Math.min(2000, 100 * i), o.signal)
  }
  const first = cur.error?.errors?.[0]
  if (first) throw operationFailure(first.code ?? 'UNKNOWN', first.message ?? '', { region: scope.region ?? null, zone: scope.zone, op: scope.what })
  return cur
}
