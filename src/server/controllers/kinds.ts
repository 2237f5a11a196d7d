// The controller kinds the runtime hosts, loaded in the controller thread only. Adding one (the
// services controller, next) is a line here.
import type { KindFactory } from './types'

export const CONTROLLER_KINDS: Record<string, () => Promise<KindFactory>> = {
  jobs: async () => (await import('../../core/jobs/controller')).jobsController,
}
