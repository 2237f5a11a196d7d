// Services (src/api/ops/serve.ts): /serve/up, /serve/update, /serve/status, /serve/down,
// /serve/logs, /serve/token/{create,list,revoke}.
import * as serve from '../../api/ops/serve'
import type { AppDeps } from '../context'
import { routesFor } from './from-definitions'

export const serveRoutes = (d: AppDeps) => routesFor(d, serve)
