// Users and service-account tokens (src/api/ops/users.ts): /users/*.
import * as users from '../../api/ops/users'
import type { AppDeps } from '../context'
import { routesFor } from './from-definitions'

export const userRoutes = (d: AppDeps) => routesFor(d, users)
