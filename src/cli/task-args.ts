// The task options shared by launch, exec, jobs launch, serve up/update and pool apply, and their
// conversion to TaskOverrides. citty (0.2.2) keeps only the last value of a repeated string
// option, so repeatable options (--env, --secret, --ports) are re-read from the raw argv when it
// is passed in.
import type { ArgsDef } from 'citty'
import type { TaskOverrides } from '../core/task/overrides'

export const taskArgs = {
  workdir: { type: 'string', description: 'Local directory synced to ~/sky_workdir on the cluster (overrides the YAML).', valueHint: 'dir' },
  'git-url': { type: 'string', description: 'Git repository to use as the workdir (cloned into ~/sky_workdir on every node).', valueHint: 'url' },
  'git-ref': { type: 'string', description: 'Branch, tag or commit of the git workdir.', valueHint: 'ref' },
  infra: {
    type: 'string',
    description: 'Where to run: cloud, cloud/region, cloud/region/zone, k8s/<context>, ssh/<pool>, */region.',
    valueHint: 'infra',
  },
  cloud: { type: 'string', description: 'Deprecated: use --infra.' },
  region: { type: 'string', description: 'Deprecated: use --infra.' },
  zone: { type: 'string', description: 'Deprecated: use --infra.' },
  'num-nodes': { type: 'string', description: 'Number of nodes to run the task on.', valueHint: 'n' },
  cpus: { type: 'string', description: "vCPUs per node: N exactly, or N+ for at least N (e.g. 4+).", valueHint: 'n[+]' },
  memory: { type: 'string', description: 'Memory per node in GB: N or N+ (e.g. 32+).', valueHint: 'gb[+]' },
  gpus: { type: 'string', description: "Accelerators per node: NAME[:COUNT], e.g. H100:8 or V100:0.5; 'none' clears.", valueHint: 'name[:count]' },
  'instance-type': { type: 'string', alias: 't', description: 'Exact instance type, e.g. p4d.24xlarge.', valueHint: 'type' },
  'use-spot': { type: 'boolean', description: 'Use spot instances (--no-use-spot for on-demand).', negativeDescription: 'Use on-demand instances.' },
  'disk-size': { type: 'string', description: 'OS disk size in GB (or with a unit, e.g. 1TB).', valueHint: 'gb' },
  'disk-tier': { type: 'string', description: 'OS disk tier: low, medium, high, ultra, best or none.', valueHint: 'tier' },
  'network-tier': { type: 'string', description: 'Network tier: standard or best.', valueHint: 'tier' },
  'local-disk': { type: 'string', description: 'Local disk per node: [nvme|ssd:]SIZE[+], e.g. nvme:500GB+.', valueHint: 'spec' },
  'image-id': { type: 'string', description: "Image to boot: a cloud image id or 'docker:<image>'.", valueHint: 'id' },
  ports: { type: 'string', description: 'Ports to open: 8080, 8000-8010 or a comma list (repeatable).', valueHint: 'ports' },
  env: { type: 'string', description: 'Environment variable KEY=VAL, or KEY to copy it from your shell (repeatable).', valueHint: 'key=val' },
  'env-file': { type: 'string', description: 'A dotenv file of environment variables.', valueHint: 'path' },
  secret: { type: 'string', description: 'Secret KEY=VAL, or KEY to copy it from your shell; redacted in logs (repeatable).', valueHint: 'key=val' },
  'secret-file': { type: 'string', description: 'A dotenv file of secrets.', valueHint: 'path' },
  name: { type: 'string', alias: 'n', description: 'Task name (overrides the YAML).', valueHint: 'name' },
  priority: { type: 'string', description: 'Scheduling priority -1000..1000 (default 0), or a priority class name.', valueHint: 'int' },
} satisfies ArgsDef

/** Options kept out of help output (citty has no hidden flag; help renderers should skip these). */
export const hiddenTaskArgs: readonly string[] = ['cloud', 'region', 'zone']

/** Options that may be given several times. */
export const repeatableTaskArgs: readonly string[] = ['env', 'secret', 'ports']

type ParsedArgs = Record<string, unknown>

/**
 * Parsed citty args (and, for repeated options, the raw argv) → TaskOverrides. Values citty
 * gives as string | string[] | boolean are all handled; empty/absent options are left out.
 */
export function overridesFromArgs(args: ParsedArgs, rawArgs?: string[]): TaskOverrides {
  const o: TaskOverrides = {}
  const one = (key: string): string | undefined => {
    const v = pick(args, key)
    const list = toList(v)
    return list.length > 0 ? list[list.length - 1] : undefined
  }
  const many = (key: string, alias?: string): string[] | undefined => {
    const fromRaw = rawArgs ? rawValues(rawArgs, key, alias) : undefined
    const list = fromRaw && fromRaw.length > 0 ? fromRaw : toList(pick(args, key))
    return list.length > 0 ? list : undefined
  }
  set(o, 'name', one('name'))
  set(o, 'workdir', one('workdir'))
  set(o, 'gitUrl', one('git-url'))
  set(o, 'gitRef', one('git-ref'))
  set(o, 'infra', one('infra'))
  set(o, 'cloud', one('cloud'))
  set(o, 'region', one('region'))
  set(o, 'zone', one('zone'))
  set(o, 'numNodes', one('num-nodes'))
  set(o, 'cpus', one('cpus'))
  set(o, 'memory', one('memory'))
  set(o, 'gpus', one('gpus'))
  set(o, 'instanceType', one('instance-type'))
  const spot = pick(args, 'use-spot')
  if (typeof spot === 'boolean') o.useSpot = spot
  else if (spot === 'true' || spot === 'false') o.useSpot = spot === 'true'
  set(o, 'diskSize', one('disk-size'))
  set(o, 'diskTier', one('disk-tier'))
  set(o, 'networkTier', one('network-tier'))
  set(o, 'localDisk', one('local-disk'))
  set(o, 'imageId', one('image-id'))
  set(o, 'ports', many('ports'))
  set(o, 'envs', many('env'))
  set(o, 'envFile', one('env-file'))
  set(o, 'secrets', many('secret'))
  set(o, 'secretFile', one('secret-file'))
  set(o, 'priority', one('priority'))
  return o
}

function set<K extends keyof TaskOverrides>(o: TaskOverrides, key: K, v: TaskOverrides[K] | undefined): void {
  if (v !== undefined) o[key] = v
}

/** citty exposes both kebab and camel spellings; accept either. */
function pick(args: ParsedArgs, key: string): unknown {
  if (args[key] !== undefined) return args[key]
  const camel = key.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())
  return args[camel]
}

function toList(v: unknown): string[] {
  if (v === undefined || v === null || typeof v === 'boolean') return []
  const list = Array.isArray(v) ? v : [v]
  return list.filter((x) => x !== undefined && x !== null && typeof x !== 'boolean').map(String).filter((s) => s !== '')
}

/** Every value of `--key V` / `--key=V` (and `-a V` for a short alias) before a `--`. */
export function rawValues(rawArgs: string[], key: string, alias?: string): string[] {
  const out: string[] = []
  const long = `--${key}`
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!
    if (a === '--') break
    if (a === long || (alias && a === `-${alias}`)) {
      const next = rawArgs[i + 1]
      if (next !== undefined && next !== '--') {
        out.push(next)
        i++
      }
    } else if (a.startsWith(`${long}=`)) out.push(a.slice(long.length + 1))
  }
  return out
}

/** argv with the values of `--secret K=V` replaced (the command line is recorded on the cluster). */
export function redactSecretArgs(rawArgs: string[]): string[] {
  const out: string[] = []
  for (let i = 0; i < rawArgs.length; i++) {
    const a = rawArgs[i]!
    if (a === '--') {
      out.push(...rawArgs.slice(i))
      break
    }
    if (a === '--secret' && i + 1 < rawArgs.length) {
      out.push(a, hide(rawArgs[++i]!))
    } else if (a.startsWith('--secret=')) out.push(`--secret=${hide(a.slice('--secret='.length))}`)
    else out.push(a)
  }
  return out
}

function hide(kv: string): string {
  const eq = kv.indexOf('=')
  return eq < 0 ? kv : `${kv.slice(0, eq)}=<redacted>`
}
