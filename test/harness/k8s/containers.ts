// What a container runs: its argv (command/args over the image's entrypoint/cmd, with $(VAR)
// expansion) and its environment (env with fieldRef/resourceFieldRef/configMapKeyRef/
// secretKeyRef, envFrom), as the kubelet builds them. An image is only a name here: the harness's
// image table gives its entrypoint and cmd (default: no entrypoint, cmd `sleep infinity`).
import { milliCpu, parseQuantity } from './quantity'
import type { KubeObject, Store } from './store'

export interface ImageConfig {
  entrypoint?: string[]
  cmd?: string[]
  env?: Record<string, string>
  workingDir?: string
}

export const DEFAULT_IMAGE: ImageConfig = { entrypoint: [], cmd: ['sleep', 'infinity'] }

/** A container that cannot start (CreateContainerConfigError), with the kubelet's message. */
export class ContainerConfigError extends Error {}

const expand = (s: string, env: Record<string, string>) =>
  s.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name) => (m === '$$' ? '$' : name in env ? env[name]! : m))

function podField(pod: KubeObject, path: string): string {
  const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path)
  if (m) return pod.metadata[m[1] as 'labels' | 'annotations']?.[m[2]!] ?? ''
  const simple: Record<string, unknown> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.hostIP': pod.status?.hostIP,
    'status.podIP': pod.status?.podIP,
    'status.podIPs': pod.status?.podIP,
  }
  if (!(path in simple)) throw new ContainerConfigError(`unsupported fieldRef ${path}`)
  return String(simple[path] ?? '')
}

function resourceField(c: Record<string, any>, ref: { resource: string; divisor?: string }): string {
  const [kind, name] = ref.resource.split('.') as ['limits' | 'requests', string]
  const raw = c.resources?.[kind]?.[name] ?? c.resources?.limits?.[name]
  if (raw === undefined) return name === 'cpu' ? '1' : '0'
  if (name === 'cpu') return String(Math.ceil(milliCpu(raw) / milliCpu(ref.divisor ?? '1')))
  return String(Math.ceil((parseQuantity(raw) ?? 0) / (parseQuantity(ref.divisor ?? '1') ?? 1)))
}

function keyRef(store: Store, kind: 'configmaps' | 'secrets', ns: string, ref: { name: string; key: string; optional?: boolean }): string | undefined {
  const obj = store.get(kind, ns, ref.name)
  const raw = obj?.data?.[ref.key]
  if (raw === undefined) {
    if (ref.optional) return undefined
    throw new ContainerConfigError(obj ? `couldn't find key ${ref.key} in ${kind === 'secrets' ? 'Secret' : 'ConfigMap'} ${ns}/${ref.name}` : `${kind === 'secrets' ? 'secret' : 'configmap'} "${ref.name}" not found`)
  }
  return kind === 'secrets' ? Buffer.from(raw, 'base64').toString() : raw
}

/** The environment of a container, before the sandbox adds HOME/PATH/HOSTNAME. */
export function containerEnv(store: Store, pod: KubeObject, c: Record<string, any>, image: ImageConfig): Record<string, string> {
  const ns = pod.metadata.namespace!
  const env: Record<string, string> = { ...image.env }
  for (const from of (c.envFrom ?? []) as Record<string, any>[]) {
    const ref = from.configMapRef ?? from.secretRef
    const kind = from.configMapRef ? 'configmaps' : 'secrets'
    const obj = store.get(kind, ns, ref.name)
    if (!obj) {
      if (ref.optional) continue
      throw new ContainerConfigError(`${kind === 'secrets' ? 'secret' : 'configmap'} "${ref.name}" not found`)
    }
    for (const [k, v] of Object.entries((obj.data ?? {}) as Record<string, string>)) env[(from.prefix ?? '') + k] = kind === 'secrets' ? Buffer.from(v, 'base64').toString() : v
  }
  for (const e of (c.env ?? []) as Record<string, any>[]) {
    const vf = e.valueFrom
    let v: string | undefined
    if (!vf) v = expand(String(e.value ?? ''), env)
    else if (vf.fieldRef) v = podField(pod, vf.fieldRef.fieldPath)
    else if (vf.resourceFieldRef) v = resourceField(c, vf.resourceFieldRef)
    else if (vf.configMapKeyRef) v = keyRef(store, 'configmaps', ns, vf.configMapKeyRef)
    else if (vf.secretKeyRef) v = keyRef(store, 'secrets', ns, vf.secretKeyRef)
    if (v !== undefined) env[e.name] = v
  }
  return env
}

/** The argv a container runs: command/args over the image's entrypoint/cmd, $(VAR) expanded. */
export function containerArgv(c: Record<string, any>, image: ImageConfig, env: Record<string, string>): string[] {
  let argv: string[]
  if (c.command?.length) argv = [...c.command, ...(c.args ?? [])]
  else argv = [...(image.entrypoint ?? []), ...(c.args ?? image.cmd ?? [])]
  if (!argv.length) throw new ContainerConfigError('no command specified')
  return argv.map((a) => expand(String(a), env))
}
