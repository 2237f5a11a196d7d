// Request management and health (src/api/ops/requests.ts): /api/health, /api/get, /api/stream,
// /api/status, /api/cancel.
import * as requests from '../../api/ops/requests'
import type { AppDeps } from '../context'
import { routesFor } from './from-definitions'

export const requestRoutes = (d: AppDeps) => routesFor(d, requests)
