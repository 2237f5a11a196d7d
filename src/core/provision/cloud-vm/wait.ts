// Polling with a growing pause, cancellable: how the cloud-VM code waits for instances and SSH.
import { CancelledError } from '../../errors'

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

/** Pauses of 50 ms growing by half each time up to `maxMs`. */
export function backoff(maxMs = 2000, firstMs = 50): () => number {
  let next = firstMs
  return () => {
    const cur = next
    next = Math.min(Math.round(next * 1.5), maxMs)
    return cur
  }
}
