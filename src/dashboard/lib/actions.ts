// Every action the dashboard takes: confirm, run through the REST API (so the server checks the
// user's rights exactly as for the CLI), report progress, then the server's answer or error.
import { ApiError } from './api'
import { confirmDialog, type ConfirmOptions } from './dialog'
import { toast } from './toast'

export interface ActionOptions<T> extends ConfirmOptions {
  /** Progress text while it runs, e.g. "Stopping c1…". */
  busy: string
  /** Success text. */
  done: string | ((r: T) => string)
  run: () => Promise<T>
  after?: (ok: boolean) => void
}

export function errorText(e: unknown): { title: string; body?: string } {
  if (e instanceof ApiError) return { title: e.message, body: e.hint }
  return { title: (e as Error)?.message ?? String(e) }
}

export async function runAction<T>(o: ActionOptions<T>): Promise<T | undefined> {
  if (!(await confirmDialog(o))) return undefined
  const t = toast('info', o.busy)
  try {
    const r = await o.run()
    t.update('ok', typeof o.done === 'function' ? o.done(r) : o.done)
    o.after?.(true)
    return r
  } catch (e) {
    const { title, body } = errorText(e)
    t.update('error', title, body)
    o.after?.(false)
    return undefined
  }
}
