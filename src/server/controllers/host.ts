// The server thread's side of the controller runtime: starts the controller thread, forwards
// wakes to it (from request handlers: a job was submitted or cancelled), restarts it if it dies
// (the new thread resumes every object from the store), and stops it on shutdown.
import type { DbLocation } from '../../core/state/db'
import type { WakeOptions } from './types'

declare const SKY_WORKER_CONTROLLER: string | undefined

function workerSpecifier(): string | URL {
  if (typeof SKY_WORKER_CONTROLLER === 'string') return SKY_WORKER_CONTROLLER
  return new URL('../../workers/controller-worker.ts', import.meta.url)
}

export interface ControllerHostOptions {
  db: DbLocation
  replicaId: string
  leaseMs: number
  log: (line: string) => void
  /** Environment the controller thread adds (what the request workers get, e.g. SKY_SERVER_DEPLOY). */
  env?: Record<string, string>
}

export class ControllerHost {
  private worker: Worker | undefined
  private ready: Promise<void> | undefined
  private stopping = false
  private restarts = 0

  constructor(private o: ControllerHostOptions) {}

  start(): Promise<void> {
    const worker = new Worker(workerSpecifier())
    this.worker = worker
    this.ready = new Promise<void>((resolve, reject) => {
      worker.onmessage = (ev: MessageEvent) => {
        const m = ev.data
        if (m.type === 'ready') {
          this.restarts = 0
          resolve()
        } else if (m.type === 'init-failed') {
          this.o.log(`controller thread failed to start: ${m.error}`)
          reject(new Error(m.error))
        }
      }
    })
    worker.onerror = (ev) => {
      ev.preventDefault?.()
      this.o.log(`controller thread crashed: ${(ev as ErrorEvent).message ?? 'unknown error'}; restarting it`)
      this.restart()
    }
    worker.postMessage({ type: 'init', db: this.o.db, replicaId: this.o.replicaId, leaseMs: this.o.leaseMs, env: { SKY_HOME: process.env.SKY_HOME ?? '', ...this.o.env } })
    return this.ready
  }

  private restart(): void {
    if (this.stopping) return
    this.worker?.terminate()
    this.worker = undefined
    const delay = Math.min(30_000, 250 * 2 ** this.restarts++)
    setTimeout(() => {
      if (!this.stopping) void this.start().catch(() => this.restart())
    }, delay).unref?.()
  }

  /** Reconcile kind/key soon (on this replica if it owns it; other replicas hear it too). */
  wake(kind: string, key: string, o?: WakeOptions): void {
    const w = this.worker
    if (!w || this.stopping) return
    void this.ready?.then(() => w.postMessage({ type: 'wake', kind, key, o })).catch(() => {})
  }

  async stop(graceMs = 0): Promise<void> {
    if (this.stopping) return
    this.stopping = true
    const w = this.worker
    if (!w) return
    const stopped = new Promise<void>((resolve) => {
      w.onmessage = (ev: MessageEvent) => {
        if (ev.data?.type === 'stopped') resolve()
      }
    })
    w.postMessage({ type: 'stop', graceMs })
    await Promise.race([stopped, Bun.sleep(graceMs + 5_000)])
    w.terminate()
  }
}
