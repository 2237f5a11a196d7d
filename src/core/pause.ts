// A sleep that a request's cancellation ends at once (CancelledError): retries, backoffs and lock
// waits inside requests use it so a cancelled request never sleeps on.
import { CancelledError } from './errors'

export function pause(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CancelledError('Request was cancelled.'))
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(t)
      reject(new CancelledError('Request was cancelled.'))
    }
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}
