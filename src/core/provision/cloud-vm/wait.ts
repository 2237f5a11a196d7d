// Polling with a growing pause: how the cloud-VM code waits for instances and SSH (each pause is
// `pause` from core/pause, which a cancelled request ends).

/** Pauses of 50 ms growing by half each time up to `maxMs`. */
export function backoff(maxMs = 2000, firstMs = 50): () => number {
  let next = firstMs
  return () => {
    const cur = next
    next = Math.min(Math.round(next * 1.5), maxMs)
    return cur
  }
}
