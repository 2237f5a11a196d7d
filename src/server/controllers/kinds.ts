// The controller kinds the runtime hosts, loaded in the controller thread only.
import type { KindFactory } from './types'

export const CONTROLLER_KINDS: Record<string, () => Promise<KindFactory>> = {
  jobs: async () => (await import('../../core/jobs/controller')).jobsController,
  serve: async () => (await import('../../core/serve/controller')).serveController,
}
