// Planning and the catalog (src/api/ops/catalog.ts): optimize, list_accelerators.
import * as catalog from '../../api/ops/catalog'
import type { AppDeps } from '../context'
import { routesFor } from './from-definitions'

export const catalogRoutes = (d: AppDeps) => routesFor(d, catalog)
