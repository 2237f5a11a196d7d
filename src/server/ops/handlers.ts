// Name → handler, loaded lazily so a worker that only answers `status` never loads provisioners.
import { NotFoundError } from '../../core/errors'
import type { OpHandler } from './types'

const loaders: Record<string, () => Promise<OpHandler>> = {
  'sky.status': async () => (await import('./impl/status')).status,
}

const cache = new Map<string, OpHandler>()

export async function loadHandler(name: string): Promise<OpHandler> {
  const hit = cache.get(name)
  if (hit) return hit
  const load = loaders[name]
  if (!load) throw new NotFoundError(`No handler for request '${name}'.`)
  const h = await load()
  cache.set(name, h)
  return h
}
