import { defineCommand } from 'citty'
import { lazy } from '../../lazy'
import { DESCRIPTIONS } from '../descriptions'

export default defineCommand({
  meta: { name: 'api', description: DESCRIPTIONS.api },
  subCommands: {
    start: lazy(() => import('./start')),
    stop: lazy(() => import('./stop')),
    info: lazy(() => import('./info')),
    status: lazy(() => import('./status')),
    logs: lazy(() => import('./logs')),
    cancel: lazy(() => import('./cancel')),
    login: lazy(() => import('./login')),
    logout: lazy(() => import('./logout')),
  },
})
