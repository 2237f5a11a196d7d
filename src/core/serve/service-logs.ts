// `sky serve logs` and `sky serve token ...` on the server. Logs: a replica's output is its
// cluster job's log (streamed by the agent, as `sky logs`); the controller and load balancer
// logs are files in the service's directory, followed until the caller goes or the service does.
// Tokens: created random, shown once, stored hashed; the controller hands the hashes of live
// tokens to the load balancer, and these calls return once it has them.
import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import type { ServeToken } from '../../api/wire'
import { tailLogs } from '../clusters/jobs'
import { ConflictError, NotFoundError, UsageError, ValidationError } from '../errors'
import { waitLbApplied } from './lb/control'
import { readLbState, STATE_FILE } from './lb/state-file'
import { createToken } from './lb/tokens'
import { serviceSpecFromTask } from './spec'
import { parseDag } from '../task/dag-parse'
import { controllerLogPath, lbLogPath, serviceDir } from './controller/files'
import { ownedService, type ServeCtx } from './service-ops'

export type LogTarget = 'replica' | 'controller' | 'load_balancer'

export interface ServeLogsBody {
  service_name: string
  target: LogTarget
  replica_id?: number
  follow?: boolean
  tail?: number
}

function lastLines(text: string, n: number): string {
  if (n <= 0) return text
  const lines = text.split('\n')
  if (lines[lines.length - 1] === '') lines.pop()
  return lines.slice(-n).join('\n') + (lines.length ? '\n' : '')
}

async function followFile(c: ServeCtx, path: string, b: ServeLogsBody, write: (s: string) => void): Promise<void> {
  let pos = 0
  let first = true
  for (;;) {
    if (existsSync(path)) {
      const fd = openSync(path, 'r')
      try {
        const size = fstatSync(fd).size
        if (size < pos) pos = 0
        if (size > pos) {
          const buf = Buffer.alloc(size - pos)
          const n = readSync(fd, buf, 0, buf.length, pos)
          pos += n
          const text = buf.subarray(0, n).toString('utf8')
          write(first && b.tail ? lastLines(text, b.tail) : text)
        }
      } finally {
        closeSync(fd)
      }
    }
    first = false
    if (b.follow === false || c.signal.aborted) return
    if (!(await c.store.services.get(b.service_name))) return
    await Bun.sleep(250)
  }
}

export async function serveLogs(c: ServeCtx, b: ServeLogsBody, write: (s: string) => void): Promise<{ exit_code: number }> {
  const svc = await ownedService(c, b.service_name)
  if (b.target === 'controller') {
    await followFile(c, controllerLogPath(svc.name), b, write)
    return { exit_code: 0 }
  }
  if (b.target === 'load_balancer') {
    await followFile(c, lbLogPath(svc.name), b, write)
    return { exit_code: 0 }
  }
  if (b.replica_id === undefined) throw new UsageError('Give a replica id, or --controller / --load-balancer.')
  const r = (await c.store.services.replicas(svc.name)).find((x) => x.replicaId === b.replica_id)
  if (!r) throw new NotFoundError(`Service '${svc.name}' has no replica ${b.replica_id}.`, { hint: `See its replicas with: sky serve status ${svc.name}` })
  if (r.agentJobId === null || !r.clusterLive) throw new ConflictError(`Replica ${r.replicaId} of service '${svc.name}' has no running job (${r.status}).`)
  const actor = { id: svc.userId, name: svc.userName, role: svc.userRole ?? 'user' }
  const code = await tailLogs(c.store, r.clusterName, actor, { jobId: r.agentJobId, follow: b.follow !== false, tail: b.tail, write, signal: c.signal })
  return { exit_code: code }
}

// ── Tokens ───────────────────────────────────────────────────────────────────────────────────

const TOKEN_NAME_RE = /^[a-zA-Z0-9][-_.a-zA-Z0-9]{0,63}$/

/** Wait until the load balancer's state has (or lacks) a hash: the change is in force. */
async function waitLb(c: ServeCtx, name: string, hash: string, present: boolean): Promise<boolean> {
  const deadline = Date.now() + 15_000
  while (Date.now() < deadline && !c.signal.aborted) {
    const s = existsSync(join(serviceDir(name), STATE_FILE)) ? readLbState(serviceDir(name)) : 'missing'
    if (typeof s !== 'string' && (s.token_hashes ?? []).includes(hash) === present) return waitLbApplied(serviceDir(name), Math.max(0, deadline - Date.now()))
    await Bun.sleep(25)
  }
  return false
}

/** Whether the service's current version has `service.auth`. */
async function authOn(c: ServeCtx, name: string): Promise<boolean> {
  const svc = await c.store.services.get(name)
  const v = (await c.store.services.versions(name)).find((x) => x.version === svc?.currentVersion)
  return !!v && !!serviceSpecFromTask(parseDag(v.taskYaml).tasks[0]!).auth
}

export async function tokenCreate(c: ServeCtx, b: { service_name: string; name?: string }): Promise<{ service_name: string; name: string; token: string; hint: string }> {
  const svc = await ownedService(c, b.service_name)
  const name = b.name ?? `token-${Math.random().toString(16).slice(2, 8)}`
  if (!TOKEN_NAME_RE.test(name)) throw new ValidationError([{ path: 'name', message: `'${name}' is not a valid token name: letters, digits, '-', '_', '.', at most 64` }])
  const t = createToken()
  if (!(await c.store.services.addToken({ service: svc.name, name, hash: t.hash, hint: t.hint, createdBy: c.user.name, createdAt: Date.now() }))) {
    throw new ConflictError(`Service '${svc.name}' already has a token named '${name}'.`, { hint: `Revoke it first: sky serve token revoke ${svc.name} ${name}` })
  }
  c.wake(svc.name)
  if (!(await authOn(c, svc.name))) c.log(`Service '${svc.name}' does not check tokens yet: add 'auth: true' to its service section (sky serve update).`)
  else if (!(await waitLb(c, svc.name, t.hash, true))) c.log('The load balancer has not picked the token up yet; it will shortly.')
  return { service_name: svc.name, name, token: t.token, hint: t.hint }
}

export async function tokenList(c: ServeCtx, b: { service_name: string }): Promise<ServeToken[]> {
  const svc = await ownedService(c, b.service_name)
  return (await c.store.services.tokens(svc.name)).map((t) => ({
    name: t.name,
    hint: t.hint,
    created_by: t.createdBy,
    created_at: Math.floor(t.createdAt / 1000),
    revoked_at: t.revokedAt === null ? null : Math.floor(t.revokedAt / 1000),
  }))
}

export async function tokenRevoke(c: ServeCtx, b: { service_name: string; name: string }): Promise<{ revoked: string }> {
  const svc = await ownedService(c, b.service_name)
  const tok = (await c.store.services.tokens(svc.name)).find((t) => t.name === b.name)
  if (!tok) throw new NotFoundError(`Service '${svc.name}' has no token named '${b.name}'.`, { hint: `See its tokens with: sky serve token list ${svc.name}` })
  if (tok.revokedAt === null) await c.store.services.revokeToken(svc.name, b.name)
  c.wake(svc.name)
  if (await authOn(c, svc.name)) await waitLb(c, svc.name, tok.hash, false)
  return { revoked: b.name }
}
