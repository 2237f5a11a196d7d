// Per-request config on the API server. A client sends its config layers with each request
// (`override_skypilot_config`, as SkyPilot clients do); the request's handler runs with them
// merged over the server's own config, without the keys that belong to the server. Requests run
// concurrently in one worker thread, so the merged tree is carried by AsyncLocalStorage rather
// than by module state. Loaded only by worker threads.
import { AsyncLocalStorage } from 'node:async_hooks'
import { baseConfig, deepMerge, setConfigScope, validateLayer, type ConfigTree } from './config'
import { withoutServerOnly } from './config-schema'
import { ValidationError } from './errors'

const scope = new AsyncLocalStorage<ConfigTree>()
setConfigScope(() => scope.getStore())

/** Run `fn` with the client's config (validated; server-only keys dropped) over the server's. */
export function withClientConfig<T>(override: unknown, fn: () => Promise<T>): Promise<T> {
  if (override === undefined || override === null) return fn()
  if (typeof override !== 'object' || Array.isArray(override)) {
    throw new ValidationError([{ path: 'override_skypilot_config', message: 'must be a mapping of config keys' }])
  }
  const client: ConfigTree = withoutServerOnly(override as ConfigTree)
  if (!Object.keys(client).length) return fn()
  validateLayer(client, 'client config')
  return scope.run(deepMerge(baseConfig(), client), fn)
}
