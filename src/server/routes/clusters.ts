// Cluster operations (src/api/ops/clusters.ts): status, launch, start, stop, down, autostop.
import * as clusters from '../../api/ops/clusters'
import type { AppDeps } from '../context'
import { routesFor } from './from-definitions'

export const clusterRoutes = (d: AppDeps) => routesFor(d, clusters)
