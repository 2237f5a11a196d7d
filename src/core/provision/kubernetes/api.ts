// The Kubernetes API of one context, through the SDK adapter in the cloud SDK bundle (loaded here,
// on the server, never by the CLI), and its failures as typed provisioning errors. Clients are
// kept per context and made again when a kubeconfig file changes.
import { statSync } from 'node:fs'
import { homedir } from 'node:os'
import { toSkyError } from '../../errors'
import { kubeconfigPaths } from '../../infra/kubeconfig'
import { loadCloudSdk } from '../cloud-sdk/load'
import type { KubeApiError, KubeClient } from '../cloud-sdk/kubernetes'
import { CapacityError, FatalProvisionError, InfraAuthError, InfraConfigError } from '../errors'

export type { KubeClient, WatchEvent } from '../cloud-sdk/kubernetes'

const clients = new Map<string, KubeClient>()

/** The kubeconfig files in use (KUBECONFIG, or ~/.kube/config) that exist, with a change stamp. */
export function kubeconfigFiles(env: Record<string, string | undefined> = process.env): { files: string[]; stamp: string } {
  const files: string[] = []
  const stamps: string[] = []
  for (const f of kubeconfigPaths(env, env.HOME || homedir())) {
    try {
      const st = statSync(f)
      files.push(f)
      stamps.push(`${f}@${st.mtimeMs}:${st.size}`)
    } catch {}
  }
  return { files, stamp: stamps.join('|') }
}

/** A client for `context` (throws InfraConfigError when the kubeconfig cannot give one). */
export async function kube(context: string, env: Record<string, string | undefined> = process.env): Promise<KubeClient> {
  const { files, stamp } = kubeconfigFiles(env)
  const key = `${stamp}\u0000${context}`
  const hit = clients.get(key)
  if (hit) return hit
  if (!files.length) {
    throw new InfraConfigError(`No kubeconfig found (${kubeconfigPaths(env, env.HOME || homedir()).join(', ')}).`, { infra: 'kubernetes', region: context, scope: 'infra', hint: 'Point KUBECONFIG at a kubeconfig, or create ~/.kube/config.' })
  }
  const sdk = await loadCloudSdk()
  let c: KubeClient
  try {
    c = sdk.kubernetes.kubeClient(files, context)
  } catch (e) {
    throw kubeFailure(e, context)
  }
  for (const k of clients.keys()) if (k.endsWith(`\u0000${context}`)) clients.delete(k)
  clients.set(key, c)
  return c
}

const isKubeError = (e: unknown): e is KubeApiError => (e as Error)?.name === 'KubeApiError'

/** HTTP status of an API error (0: never reached the server); undefined for other errors. */
export function apiStatus(e: unknown): number | undefined {
  return isKubeError(e) ? e.status : undefined
}

/**
 * A failed call as a provisioning failure of `context` (every scope is the context: the next one
 * is tried): unreachable or unusable kubeconfig entry → config, 401/403 → auth, 422 → fatal (the
 * manifest is wrong wherever it goes), anything else → capacity.
 */
export function kubeFailure(e: unknown, context: string, what = ''): Error {
  if (!isKubeError(e)) return e instanceof Error ? e : new Error(String(e))
  const o = { infra: 'kubernetes', region: context, scope: 'region' as const, cause: e }
  const msg = `Kubernetes context '${context}'${what ? ` (${what})` : ''}: ${e.message}`
  if (e.kind === 'config') return new InfraConfigError(msg, { ...o, hint: 'Check the context with: kubectl config view --minify --context ' + context })
  if (e.kind === 'connect') return new InfraConfigError(`Kubernetes context '${context}': API server unreachable: ${e.message}`, { ...o, hint: `Check that the cluster is up: sky check kubernetes` })
  if (e.status === 401 || e.status === 403) return new InfraAuthError(msg, { ...o, hint: 'Check the credentials of the context: kubectl auth can-i create pods --context ' + context })
  if (e.status === 422 || e.status === 400) return new FatalProvisionError(msg, { infra: 'kubernetes', region: context, hint: 'Check kubernetes.pod_config and the task resources.' })
  return new CapacityError(msg, o)
}

/** Why a context could not be used, in a few words (the optimizer and `sky check` show it). */
export function describeFailure(e: unknown): string {
  const cause = (e as Error | undefined)?.cause
  if (!isKubeError(e) && isKubeError(cause)) e = cause
  if (!isKubeError(e)) return toSkyError(e).message
  if (e.kind === 'connect') return `API server unreachable (${e.message})`
  if (e.kind === 'config') return e.message
  if (e.status === 401) return `credentials refused (401 ${e.message})`
  if (e.status === 403) return `permission denied (403 ${e.message})`
  return `API error ${e.status} ${e.reason}: ${e.message}`
}
