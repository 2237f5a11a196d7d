// Helpers for service tests: a service YAML whose replicas run test/fixtures/serve/replica.ts
// (answers its label on GET /), `sky serve status -o json`, waiting for replica states, and a
// cleanup that stops what a failed test may have left (load balancers by their pid files,
// replica networks by the service's tag), never by a machine-wide pattern.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { Value } from '@sinclair/typebox/value'
import { Service, type Service as ServiceWire } from '../../src/api/wire'
import { pidAlive, ROOT, waitFor, type TempHome } from './index'

export const REPLICA = join(ROOT, 'test/fixtures/serve/replica.ts')

export interface SvcYaml {
  /** What GET / answers, before `-r<replica id>` (e.g. v1). */
  label?: string
  replicas?: number
  policy?: string
  probePath?: string
  initialDelay?: number
  extraService?: string
  replicaPolicy?: string
  port?: number
  /** resources.infra, e.g. ssh/my-pool. */
  infra?: string
}

export function serviceYaml(h: TempHome, file: string, o: SvcYaml = {}): string {
  const count = o.replicaPolicy ? `  replica_policy:\n${o.replicaPolicy}` : `  replicas: ${o.replicas ?? 2}`
  const text = `service:
  readiness_probe:
    path: ${o.probePath ?? '/health'}
    initial_delay_seconds: ${o.initialDelay ?? 60}
    endpoint_probe_interval_seconds: 1
${count}
  load_balancing_policy: ${o.policy ?? 'round_robin'}
${o.extraService ?? ''}resources:
  ports: ${o.port ?? 8080}
${o.infra ? `  infra: ${o.infra}\n` : '  cpus: 0.1\n'}run: exec ${process.execPath} ${REPLICA} ${o.port ?? 8080} ${o.label ?? 'v1'}-r$SKYPILOT_SERVE_REPLICA_ID 0.0.0.0
`
  const p = join(h.dir, file)
  writeFileSync(p, text)
  return p
}

/** `sky serve status -o json`, checked against the API contract's Service schema. */
export async function serveStatus(h: TempHome, names: string[] = []): Promise<ServiceWire[]> {
  const r = await h.sky(['serve', 'status', ...names, '-o', 'json'])
  if (r.code !== 0) throw new Error(`serve status failed (${r.code}): ${r.stderr}`)
  const list = JSON.parse(r.stdout) as ServiceWire[]
  for (const s of list) {
    const errors = [...Value.Errors(Service, s)].map((e) => `${e.path}: ${e.message}`)
    if (errors.length) throw new Error(`service ${s.name} does not match the Service schema: ${errors.join('; ')}`)
  }
  return list
}

export async function waitService(h: TempHome, name: string, ok: (s: ServiceWire) => boolean, timeoutMs = 60_000): Promise<ServiceWire> {
  return waitFor(async () => {
    const s = (await serveStatus(h)).find((x) => x.name === name)
    return s && ok(s) ? s : undefined
  }, timeoutMs, 200)
}

/** `n` replicas READY (of `version`, when given), and nothing else alive. */
export const readyCount = (s: ServiceWire, n: number, version?: number) => {
  const live = s.replica_info.filter((r) => ['PENDING', 'PROVISIONING', 'STARTING', 'READY', 'NOT_READY', 'SHUTTING_DOWN'].includes(r.status))
  return live.length === n && live.every((r) => r.status === 'READY' && (version === undefined || r.version === version))
}

/** GET url, returning status and body (never throws: a failed connection is status 0). */
export async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { headers, signal: AbortSignal.timeout(10_000), tls: { rejectUnauthorized: false } } as RequestInit)
    return { status: res.status, body: await res.text() }
  } catch (e) {
    return { status: 0, body: (e as Error).message }
  }
}

/** The per-service tag in the names of its replica network namespaces (controller/files.ts). */
export function networkTagOf(h: TempHome, service: string): string {
  return createHash('sha256').update(`${h.dir}\u0000${service}`).digest('hex').slice(0, 7)
}

/**
 * SIGKILL what runs in a local replica's network namespace (its server), from outside, by the
 * PIDs `ip netns pids` lists for that one namespace. Returns how many were killed.
 */
export function killReplica(h: TempHome, service: string, replicaId: number): number {
  const ns = `sky-${networkTagOf(h, service)}-r${replicaId}`
  const pids = Bun.spawnSync(['ip', 'netns', 'pids', ns]).stdout.toString().split('\n').filter(Boolean).map(Number)
  for (const pid of pids) process.kill(pid, 'SIGKILL')
  return pids.length
}

/** Stop load balancers a failed test left running in this home (by their pid files). */
export function killLeftovers(h: TempHome): void {
  const dir = join(h.dir, 'serve')
  if (!existsSync(dir)) return
  for (const svc of readdirSync(dir)) {
    const f = join(dir, svc, 'lb.pid')
    if (!existsSync(f)) continue
    const pid = Number(readFileSync(f, 'utf8'))
    if (pid > 1 && pidAlive(pid)) process.kill(pid, 'SIGKILL')
  }
}
