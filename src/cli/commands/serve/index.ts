// sky serve: services (replicas behind a load balancer, autoscaled, updated in place).
import { defineCommand } from 'citty'
import { lazy } from '../../lazy'
import { DESCRIPTIONS } from '../descriptions'

export default defineCommand({
  meta: { name: 'serve', description: DESCRIPTIONS.serve },
  subCommands: {
    up: lazy(() => import('./up')),
    update: lazy(() => import('./update')),
    status: lazy(() => import('./status')),
    logs: lazy(() => import('./logs')),
    down: lazy(() => import('./down')),
    token: lazy(() => import('./token')),
  },
})
