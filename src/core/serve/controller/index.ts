// The services controller, hosted by the controller runtime (src/server/controllers): one object
// per service (key = its name). The runtime gives each service one owner across server replicas
// and resumes every service after a restart; reconcile.ts does the work.
import type { ControllerKind, KindFactory } from '../../../server/controllers/types'
import { withClientConfig } from '../../config-scope'
import { forgetLive } from './live'
import { reconcileService, type ServeDeps } from './reconcile'

export const SERVE_KIND = 'serve'

export const serveController: KindFactory = async (deps) => {
  const d: ServeDeps = { store: deps.store, wake: (name) => deps.wake(SERVE_KIND, name) }
  const kind: ControllerKind = {
    kind: SERVE_KIND,
    async activeKeys() {
      return deps.store.services.names()
    },
    async reconcile(key, ctx) {
      const svc = await deps.store.services.get(key)
      if (svc?.config) return withClientConfig(svc.config, () => reconcileService(d, key, ctx))
      return reconcileService(d, key, ctx)
    },
    forget(key) {
      forgetLive(key)
    },
  }
  return kind
}
