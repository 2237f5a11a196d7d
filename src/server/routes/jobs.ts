// Jobs on clusters (src/api/ops/jobs.ts): exec, queue, cancel, logs, job_status.
import * as jobs from '../../api/ops/jobs'
import type { AppDeps } from '../context'
import { routesFor } from './from-definitions'

export const jobRoutes = (d: AppDeps) => routesFor(d, jobs)
