// GET /api/stream body: the request's log as chunked text, following it until the request is final.
import { FINAL_STATUSES } from '../../core/state/requests'
import type { Store } from '../../core/state/store'
import type { LogStore } from './log-store'

export interface StreamOptions {
  follow: boolean
  /** Only the last N lines (0 or undefined = all). */
  tail?: number
  pollMs?: number
  /** Send a heartbeat newline-free chunk this often while silent, so proxies keep the line open. */
  heartbeatMs?: number
  /** Called when the client goes away before the log ended (Ctrl+C, a closed browser tab). */
  onDisconnect?: () => void
}

async function tailOffset(logs: LogStore, id: string, lines: number): Promise<number> {
  if (!lines) return 0
  const size = await logs.size(id)
  if (size === 0) return 0
  const { data } = await logs.read(id, 0, size)
  let seen = 0
  // Ignore a trailing newline when counting.
  for (let i = data.length - 2; i >= 0; i--) {
    if (data[i] === 10 && ++seen === lines) return i + 1
  }
  return 0
}

export function streamRequestLog(store: Store, logs: LogStore, id: string, o: StreamOptions): ReadableStream<Uint8Array> {
  let offset = -1
  let cancelled = false
  const poll = o.pollMs ?? 40
  return new ReadableStream<Uint8Array>({
    async pull(ctrl) {
      if (offset < 0) offset = await tailOffset(logs, id, o.tail ?? 0)
      let silentSince = Date.now()
      while (!cancelled) {
        const { data, next } = await logs.read(id, offset)
        if (data.length) {
          offset = next
          ctrl.enqueue(data)
          return
        }
        if (!o.follow) break
        const r = await store.requests.get(id)
        if (!r || FINAL_STATUSES.has(r.status)) {
          // One last read: the worker may have written between our read and the status check.
          const last = await logs.read(id, offset)
          if (last.data.length) {
            offset = last.next
            ctrl.enqueue(last.data)
            return
          }
          break
        }
        if (o.heartbeatMs && Date.now() - silentSince > o.heartbeatMs) {
          silentSince = Date.now()
        }
        await Bun.sleep(poll)
      }
      ctrl.close()
    },
    cancel() {
      cancelled = true
      o.onDisconnect?.()
    },
  })
}
