// Reads kubeconfig files (KUBECONFIG, a path list, or ~/.kube/config) for their contexts, without
// the Kubernetes client: `sky check` only needs to know which contexts exist.
import { existsSync, readFileSync } from 'node:fs'
import { delimiter, join } from 'node:path'
import { parse } from 'yaml'

export interface KubeContext {
  name: string
  cluster?: string
  namespace?: string
  user?: string
}

export interface KubeconfigInfo {
  /** Files that were looked at (existing or not). */
  files: string[]
  contexts: KubeContext[]
  currentContext?: string
  /** Files that exist but could not be read as kubeconfig. */
  errors: string[]
}

export function kubeconfigPaths(env: Record<string, string | undefined>, home: string): string[] {
  const list = env.KUBECONFIG
  if (list && list.trim()) return list.split(delimiter).filter(Boolean)
  return [join(home, '.kube', 'config')]
}

/** Contexts of all kubeconfig files, first file wins for duplicate names (kubectl's merge rule). */
export function readKubeconfig(env: Record<string, string | undefined>, home: string): KubeconfigInfo {
  const info: KubeconfigInfo = { files: kubeconfigPaths(env, home), contexts: [], errors: [] }
  const seen = new Set<string>()
  for (const file of info.files) {
    if (!existsSync(file)) continue
    let doc: unknown
    try {
      doc = parse(readFileSync(file, 'utf8'))
    } catch (e) {
      info.errors.push(`${file}: not valid YAML (${(e as Error).message.split('\n')[0]})`)
      continue
    }
    if (!doc || typeof doc !== 'object') continue
    const d = doc as Record<string, unknown>
    if (!info.currentContext && typeof d['current-context'] === 'string' && d['current-context']) {
      info.currentContext = d['current-context']
    }
    const contexts = Array.isArray(d.contexts) ? d.contexts : []
    for (const c of contexts) {
      if (!c || typeof c !== 'object') continue
      const name = (c as Record<string, unknown>).name
      if (typeof name !== 'string' || !name || seen.has(name)) continue
      seen.add(name)
      const ctx = ((c as Record<string, unknown>).context ?? {}) as Record<string, unknown>
      info.contexts.push({
        name,
        ...(typeof ctx.cluster === 'string' ? { cluster: ctx.cluster } : {}),
        ...(typeof ctx.namespace === 'string' ? { namespace: ctx.namespace } : {}),
        ...(typeof ctx.user === 'string' ? { user: ctx.user } : {}),
      })
    }
  }
  return info
}
