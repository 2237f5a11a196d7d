// Long-running operations of the Compute test server. Each mutation returns an operation that
// goes PENDING → RUNNING → DONE over `delayMs` (0: DONE at once); its effect is applied when it
// finishes, and a failure (a capacity fault, say) shows only there, in `error.errors` of the DONE
// operation — as Compute reports ZONE_RESOURCE_POOL_EXHAUSTED.
import { API_BASE, newId, operationName, timestamp } from './ids.ts'

export type OpScope = { zone: string } | { global: true }

export interface OpError {
  code: string
  message: string
  /** HTTP status Compute reports alongside the error (httpErrorStatusCode). */
  httpStatus?: number
  errorDetails?: unknown[]
}

export interface OpSpec {
  scope: OpScope
  type: string
  targetLink: string
  targetId: string
  /** Called when the operation turns RUNNING. */
  running?: () => void
  /** Applies the operation's effect; returns an error to fail it instead. */
  finish: () => OpError | void
}

interface OpRec {
  op: Record<string, unknown>
  timers: Timer[]
  waiters: (() => void)[]
}

const HTTP_TEXT: Record<number, string> = { 400: 'BAD REQUEST', 403: 'FORBIDDEN', 404: 'NOT FOUND', 409: 'CONFLICT', 412: 'PRECONDITION FAILED', 503: 'SERVICE UNAVAILABLE' }

export class Operations {
  private ops = new Map<string, OpRec>()

  constructor(
    private readonly project: string,
    private readonly delayMs: () => number,
  ) {}

  private key(scope: OpScope, name: string): string {
    return 'zone' in scope ? `zones/${scope.zone}/${name}` : `global/${name}`
  }

  create(spec: OpSpec): Record<string, unknown> {
    const name = operationName()
    const scopePath = 'zone' in spec.scope ? `zones/${spec.scope.zone}` : 'global'
    const op: Record<string, unknown> = {
      kind: 'compute#operation',
      id: newId(),
      name,
      ...('zone' in spec.scope ? { zone: `${API_BASE}/projects/${this.project}/zones/${spec.scope.zone}` } : {}),
      operationType: spec.type,
      targetLink: spec.targetLink,
      targetId: spec.targetId,
      status: 'PENDING',
      user: `sky-test@${this.project}.iam.gserviceaccount.com`,
      progress: 0,
      insertTime: timestamp(),
      selfLink: `${API_BASE}/projects/${this.project}/${scopePath}/operations/${name}`,
    }
    const rec: OpRec = { op, timers: [], waiters: [] }
    this.ops.set(this.key(spec.scope, name), rec)
    const delay = this.delayMs()
    const run = () => {
      op.status = 'RUNNING'
      op.startTime = timestamp()
      spec.running?.()
    }
    const done = () => {
      if (op.status === 'PENDING') run()
      const err = spec.finish()
      if (err) {
        op.error = { errors: [{ code: err.code, message: err.message, ...(err.errorDetails ? { errorDetails: err.errorDetails } : {}) }] }
        op.httpErrorStatusCode = err.httpStatus ?? 400
        op.httpErrorMessage = HTTP_TEXT[err.httpStatus ?? 400] ?? 'ERROR'
      }
      op.status = 'DONE'
      op.progress = 100
      op.endTime = timestamp()
      for (const w of rec.waiters.splice(0)) w()
    }
    if (delay <= 0) done()
    else {
      rec.timers.push(setTimeout(run, Math.floor(delay / 2)), setTimeout(done, delay))
    }
    return structuredClone(op)
  }

  get(scope: OpScope, name: string): Record<string, unknown> | undefined {
    const rec = this.ops.get(this.key(scope, name))
    return rec && structuredClone(rec.op)
  }

  /** Like Compute's `wait`: returns when the operation is DONE or after `maxMs`, whichever first. */
  async wait(scope: OpScope, name: string, maxMs: number): Promise<Record<string, unknown> | undefined> {
    const rec = this.ops.get(this.key(scope, name))
    if (!rec) return undefined
    if (rec.op.status !== 'DONE') {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, maxMs)
        rec.waiters.push(() => {
          clearTimeout(t)
          resolve()
        })
      })
    }
    return structuredClone(rec.op)
  }

  /** Cancel pending timers (server stop); waiters return what they have. */
  clear(): void {
    for (const rec of this.ops.values()) {
      rec.timers.forEach(clearTimeout)
      for (const w of rec.waiters.splice(0)) w()
    }
    this.ops.clear()
  }
}
