// Managed jobs (src/api/ops/managed-jobs.ts): /jobs/launch, /jobs/queue, /jobs/cancel, /jobs/logs.
import * as managedJobs from '../../api/ops/managed-jobs'
import type { AppDeps } from '../context'
import { routesFor } from './from-definitions'

export const managedJobRoutes = (d: AppDeps) => routesFor(d, managedJobs)
