// What every cluster operation gets from its caller (a request handler, or the managed-jobs /
// serve controllers): the store, who acts, cancellation, the log, and an owner id used for the
// cluster lock and as the default idempotency key of submitted jobs.
import type { Store } from '../state/store'
import type { Actor } from './record'

export interface OpsContext {
  store: Store
  actor: Actor
  signal: AbortSignal
  /** Append one line to the caller's log (the request log). */
  log(line: string): void
  /** Append raw text (job output). */
  write(text: string): void
  /**
   * Lock owner and default idempotency key: the request id for requests (so a request re-run after
   * a crash resumes under the same lock and finds the job it submitted), a stable id for controllers.
   */
  owner: string
}
