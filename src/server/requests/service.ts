// The request service on the server thread: submit, wait, look up by id prefix, cancel, list,
// recover after a restart, and garbage-collect old requests.
import { AmbiguousError, NotFoundError } from '../../core/errors'
import { FINAL_STATUSES, type RequestRecord, type RequestStatus } from '../../core/state/requests'
import type { Store } from '../../core/state/store'
import type { OpMeta, OpUser } from '../ops/types'
import type { DbQueue } from './db-queue'
import type { Executor } from './executor'
import { Retention } from '../retention'
import type { LogStore } from './log-store'

export interface Requester extends OpUser {
  /** Admins may see and act on everyone's requests. */
  isAdmin: boolean
}

export interface RequestServiceOptions {
  /** Role recorded for requests whose submitter has none (local server: 'admin'). */
  defaultRole?: string
}

export class RequestService {
  private waiters = new Map<string, Set<(s: RequestStatus) => void>>()
  executor!: Executor
  /** Set when several replicas share a PostgreSQL store: the database is the queue. */
  dbQueue: DbQueue | undefined
  readonly defaultRole: string
  /** Collects old requests in small batches (set by the server; made on first use otherwise). */
  retention: Retention | undefined

  constructor(
    private store: Store,
    private ops: Map<string, OpMeta>,
    readonly logs: LogStore,
    o: RequestServiceOptions = {},
  ) {
    this.defaultRole = o.defaultRole ?? 'admin'
  }

  attach(executor: Executor, dbQueue?: DbQueue): void {
    this.executor = executor
    this.dbQueue = dbQueue
  }

  /** Ids callers are waiting on (the database queue polls them). */
  waitedIds(): Iterable<string> {
    return this.waiters.keys()
  }

  opMeta(name: string): OpMeta | undefined {
    return this.ops.get(name)
  }

  async submit(name: string, body: Record<string, unknown>, user: OpUser): Promise<string> {
    const meta = this.ops.get(name)
    if (!meta) throw new NotFoundError(`Unknown request '${name}'.`)
    const id = crypto.randomUUID()
    await this.store.requests.insert({
      requestId: id,
      name,
      userId: user.id,
      userName: user.name,
      userRole: user.role ?? null,
      status: 'PENDING',
      lane: meta.lane,
      clusterName: meta.cluster?.(body) ?? null,
      body,
      createdAt: Date.now(),
    })
    if (this.dbQueue) this.dbQueue.submitted(meta.lane)
    else this.executor.enqueue(meta.lane, { id, name, body, user })
    return id
  }

  notifyFinal(id: string, status: RequestStatus): void {
    const set = this.waiters.get(id)
    if (!set) return
    this.waiters.delete(id)
    for (const fn of set) fn(status)
  }

  /** Resolve when the request is final (or after timeoutMs; then returns the current row). */
  async waitFinal(id: string, timeoutMs: number, current?: RequestRecord): Promise<RequestRecord | undefined> {
    const cur = current ?? (await this.store.requests.get(id))
    if (!cur || FINAL_STATUSES.has(cur.status)) return cur
    await new Promise<void>((resolve) => {
      let set = this.waiters.get(id)
      if (!set) this.waiters.set(id, (set = new Set()))
      const done = () => {
        clearTimeout(t)
        set!.delete(done)
        resolve()
      }
      const t = setTimeout(done, timeoutMs)
      set.add(done)
    })
    return this.store.requests.get(id)
  }

  /** A full id from a unique prefix (at least 1 char). */
  async resolveId(prefix: string): Promise<string> {
    const p = prefix.trim()
    if (!p) throw new NotFoundError('Request id is empty.')
    // A whole id (what the client sends after submitting) needs no prefix search.
    if (p.length === 36 && (await this.store.requests.exists(p))) return p
    const ids = await this.store.requests.idsByPrefix(p, 6)
    if (ids.length === 0) throw new NotFoundError(`Request '${p}' not found.`, { hint: 'List requests with: sky api status -a' })
    if (ids.length > 1 && !ids.includes(p)) {
      throw new AmbiguousError(`Request id prefix '${p}' is ambiguous; it matches: ${ids.slice(0, 5).join(', ')}${ids.length > 5 ? ', ...' : ''}`, {
        details: { matches: ids },
        hint: 'Give more characters of the id.',
      })
    }
    return ids.includes(p) ? p : ids[0]!
  }

  /** Cancel requests; returns the ids actually cancelled (already-final ones are skipped). */
  async cancel(ids: string[]): Promise<string[]> {
    const out: string[] = []
    for (const id of ids) {
      const r = await this.store.requests.get(id)
      if (!r || FINAL_STATUSES.has(r.status)) continue
      const changed = await this.store.requests.finish(id, 'CANCELLED', null, { name: 'CancelledError', code: 'CANCELLED', message: 'Request was cancelled.' })
      if (!changed) continue
      this.executor.dequeue(id)
      this.executor.abort(id)
      this.dbQueue?.cancelled(id)
      this.logs.append(id, 'Request cancelled.\n')
      out.push(id)
      this.notifyFinal(id, 'CANCELLED')
      this.dbQueue?.finished(id, 'CANCELLED')
    }
    return out
  }

  /** Cancel every active request on a cluster except those named (stop/down use this). */
  async cancelClusterRequests(requestId: string, cluster: string, exceptNames: string[]): Promise<string[]> {
    const active = await this.store.requests.list({ statuses: ['PENDING', 'RUNNING'], clusterName: cluster })
    const victims = active.filter((r) => r.requestId !== requestId && !exceptNames.includes(r.name)).map((r) => r.requestId)
    return this.cancel(victims)
  }

  /**
   * After a restart: PENDING requests are queued again; RUNNING ones are re-run when their
   * operation is idempotent and otherwise marked FAILED with the reason.
   */
  async recover(): Promise<{ requeued: string[]; failed: string[] }> {
    // Several replicas: other replicas' RUNNING requests are alive; only expired leases (and this
    // replica's own, from before a restart) are taken over, by the queue.
    if (this.dbQueue) {
      await this.dbQueue.start()
      return { requeued: [], failed: [] }
    }
    const requeued: string[] = []
    const failed: string[] = []
    for (const r of (await this.store.requests.active()).reverse()) {
      const meta = this.ops.get(r.name)
      if (r.status === 'RUNNING') {
        if (!meta || !meta.idempotent) {
          await this.store.requests.finish(r.requestId, 'FAILED', null, {
            name: 'InternalError',
            code: 'INTERNAL',
            message: `The API server stopped while this request was running; '${r.name}' is not safe to repeat automatically, so it was not re-run. Run the command again.`,
          })
          this.logs.append(r.requestId, 'The API server restarted; this request was interrupted and marked FAILED.\n')
          failed.push(r.requestId)
          continue
        }
        await this.store.requests.requeue(r.requestId, 'Re-run after an API server restart.')
        this.logs.append(r.requestId, 'The API server restarted; re-running this request.\n')
      }
      if (!meta) {
        await this.store.requests.finish(r.requestId, 'FAILED', null, { name: 'InternalError', code: 'INTERNAL', message: `Unknown request '${r.name}'.` })
        failed.push(r.requestId)
        continue
      }
      this.executor.enqueue(meta.lane, {
        id: r.requestId,
        name: r.name,
        body: r.body,
        user: { id: r.userId, name: r.userName, role: r.userRole ?? this.defaultRole },
      })
      requeued.push(r.requestId)
    }
    return { requeued, failed }
  }

  /** Delete finished requests older than `retentionMs` with their logs (in small batches). */
  gc(retentionMs: number): Promise<number> {
    return (this.retention ??= new Retention(this.store, this.logs)).collect(retentionMs)
  }
}
