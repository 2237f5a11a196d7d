// The only module that imports @google-cloud/compute and google-auth-library. It is bundled on its
// own (dist/cloud-sdk-gcp.js, see scripts/build-cloud-sdk.ts) and loaded only where a GCP
// provisioner runs (./load-gcp.ts), so the library never enters the CLI's module graph nor the
// AWS bundle. The client classes are imported one by one (the package index loads all ~130 of
// them); the compiled binary also gets a cut-down protos.json (scripts/gcp-protos.ts).
//
// Everything above this file speaks plain objects (Compute's JSON resources) and sees the
// library's errors as they are (GoogleError: gRPC `code`, `message`, ErrorInfo `reason` and
// `errorInfoMetadata`). Credentials are always given explicitly — a fixed access token, a
// credentials file, or (only when that is the source found) the metadata server — so the library
// never goes looking for application-default credentials on its own.
import { FirewallsClient } from '@google-cloud/compute/build/src/v1/firewalls_client'
import { GlobalOperationsClient } from '@google-cloud/compute/build/src/v1/global_operations_client'
import { InstancesClient } from '@google-cloud/compute/build/src/v1/instances_client'
import { RegionsClient } from '@google-cloud/compute/build/src/v1/regions_client'
import { SubnetworksClient } from '@google-cloud/compute/build/src/v1/subnetworks_client'
import { ZoneOperationsClient } from '@google-cloud/compute/build/src/v1/zone_operations_client'
import { ExternalAccountClient, GoogleAuth, Impersonated, JWT, OAuth2Client, UserRefreshClient } from 'google-auth-library'
import { readFileSync } from 'node:fs'

export type GcpAuthSpec = { kind: 'token'; token: string } | { kind: 'file'; path: string; mtimeMs?: number } | { kind: 'metadata' }

export interface GcpClientSpec {
  auth: GcpAuthSpec
  /** A custom Compute endpoint; null for Google's. */
  endpoint: { apiEndpoint: string; port: number; protocol: 'http' | 'https' } | null
}

const SERVICES = {
  instances: InstancesClient,
  zoneOperations: ZoneOperationsClient,
  globalOperations: GlobalOperationsClient,
  firewalls: FirewallsClient,
  regions: RegionsClient,
  subnetworks: SubnetworksClient,
} as const

export type GcpService = keyof typeof SERVICES

const SCOPES = ['https://www.googleapis.com/auth/cloud-platform']
/** Clients (and the credentials they hold) are made again after this long: a rotated key file counts. */
const CLIENT_TTL_MS = 5 * 60_000

type AnyClient = Record<string, (...a: unknown[]) => unknown> & { close(): Promise<void> }
const cache = new Map<string, { at: number; auth: { authClient: unknown } | { auth: unknown }; clients: Map<GcpService, AnyClient> }>()

/** An auth client (`authClient`) for tokens and files; a GoogleAuth (`auth`) for the metadata server. */
function authFor(a: GcpAuthSpec): { authClient: unknown } | { auth: unknown } {
  if (a.kind === 'token') {
    // No refresh token and a far expiry: the client presents this token and never refreshes it.
    const c = new OAuth2Client()
    c.setCredentials({ access_token: a.token, expiry_date: Date.now() + 10 * 365 * 24 * 3600_000 })
    return { authClient: c }
  }
  if (a.kind === 'file') return { authClient: fileClient(JSON.parse(readFileSync(a.path, 'utf8')) as Record<string, unknown>) }
  return { auth: new GoogleAuth({ scopes: SCOPES }) }
}

/** The credentials file's own kind of client (service account, user, external account...). */
function fileClient(json: Record<string, unknown>): unknown {
  const str = (k: string) => (typeof json[k] === 'string' ? (json[k] as string) : undefined)
  switch (json.type) {
    case 'service_account':
      return new JWT({ email: str('client_email'), key: str('private_key'), keyId: str('private_key_id'), scopes: SCOPES })
    case 'authorized_user':
      return new UserRefreshClient({ clientId: str('client_id'), clientSecret: str('client_secret'), refreshToken: str('refresh_token') })
    case 'external_account':
      return ExternalAccountClient.fromJSON({ ...(json as object), scopes: SCOPES } as Parameters<typeof ExternalAccountClient.fromJSON>[0])
    case 'impersonated_service_account': {
      const target = /([^/]+):generateAccessToken$/.exec(str('service_account_impersonation_url') ?? '')?.[1]
      const source = fileClient(json.source_credentials as Record<string, unknown>)
      return new Impersonated({ sourceClient: source as never, targetPrincipal: target, targetScopes: SCOPES, delegates: (json.delegates as string[] | undefined) ?? [] })
    }
    default:
      return new GoogleAuth({ scopes: SCOPES }).fromJSON(json as Parameters<GoogleAuth['fromJSON']>[0])
  }
}

function client(spec: GcpClientSpec, service: GcpService): AnyClient {
  const key = JSON.stringify(spec)
  let entry = cache.get(key)
  if (!entry || Date.now() - entry.at > CLIENT_TTL_MS) {
    entry = { at: Date.now(), auth: authFor(spec.auth), clients: new Map() }
    cache.set(key, entry)
  }
  let c = entry.clients.get(service)
  if (!c) {
    const opts: Record<string, unknown> = { ...(spec.endpoint ?? {}), ...entry.auth }
    c = new SERVICES[service](opts as never) as unknown as AnyClient
    entry.clients.set(service, c)
  }
  return c
}

function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p
  if (signal.aborted) return Promise.reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }))
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(Object.assign(new Error('The operation was aborted.'), { name: 'AbortError' }))
    signal.addEventListener('abort', onAbort, { once: true })
    p.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort))
  })
}

/** Long-running methods resolve to an operation wrapper; this is the Operation resource in it. */
function unwrap(v: unknown): unknown {
  const x = v as { latestResponse?: unknown } | null
  return x && typeof x === 'object' && 'latestResponse' in x ? x.latestResponse : v
}

export interface GcpCallOptions {
  signal?: AbortSignal
  /** Per-call deadline (ms); the library's default otherwise. */
  timeoutMs?: number
}

/**
 * The library retries idempotent calls on UNAVAILABLE for up to ten minutes by default (a refused
 * connection included); two retries are enough to ride out a blip, and a wrong endpoint is
 * reported at once. Mutations are never retried (the library's own setting).
 */
function callOptions(o: GcpCallOptions): Record<string, unknown> {
  return { maxRetries: 2, ...(o.timeoutMs ? { timeout: o.timeoutMs } : {}) }
}

/** Call one method (`instances.insert`, `zoneOperations.wait`, `firewalls.list`...): its first result, plain. */
export async function gcpCall(spec: GcpClientSpec, service: GcpService, method: string, request: object, o: GcpCallOptions = {}): Promise<unknown> {
  const c = client(spec, service)
  const fn = c[method]
  if (typeof fn !== 'function') throw new Error(`unknown Compute method ${service}.${method}`)
  const res = (await abortable(fn.call(c, request, callOptions(o)) as Promise<unknown[]>, o.signal)) as unknown[]
  return unwrap(res[0])
}

/** Every (scope, items) pair of an aggregated list (`instances.aggregatedList`), all pages. */
export async function gcpAggregated(spec: GcpClientSpec, service: GcpService, request: object, o: GcpCallOptions = {}): Promise<[string, unknown][]> {
  const c = client(spec, service) as unknown as { aggregatedListAsync(r: object, o: object): AsyncIterable<[string, unknown]> }
  const run = async () => {
    const out: [string, unknown][] = []
    for await (const [scope, list] of c.aggregatedListAsync(request, { ...callOptions(o), autoPaginate: false })) out.push([scope, list])
    return out
  }
  return abortable(run(), o.signal)
}

/** The project of the metadata server's credentials (metadata credentials only). */
export async function gcpMetadataProject(): Promise<string> {
  return new GoogleAuth({ scopes: SCOPES }).getProjectId()
}

/** Forget every client (credentials and endpoints are read again on next use). */
export function gcpReset(): void {
  for (const e of cache.values()) for (const c of e.clients.values()) void c.close().catch(() => {})
  cache.clear()
}
