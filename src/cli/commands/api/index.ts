import { defineCommand } from 'citty'
import { lazy } from '../../lazy'

export default defineCommand({
  meta: { name: 'api', description: 'Manage the API server and its requests.' },
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
