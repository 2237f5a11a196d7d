// Infra (src/api/ops/infra.ts): check, SSH node pools up and down.
import * as infra from '../../api/ops/infra'
import type { AppDeps } from '../context'
import { routesFor } from './from-definitions'

export const infraRoutes = (d: AppDeps) => routesFor(d, infra)
