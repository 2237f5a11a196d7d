// sky jobs: managed jobs (a cluster per task, recovery from preemption and failures).
import { defineCommand } from 'citty'
import { lazy } from '../../lazy'
import { DESCRIPTIONS } from '../descriptions'

export default defineCommand({
  meta: { name: 'jobs', description: DESCRIPTIONS.jobs },
  subCommands: {
    launch: lazy(() => import('./launch')),
    queue: lazy(() => import('./queue')),
    logs: lazy(() => import('./logs')),
    cancel: lazy(() => import('./cancel')),
  },
})
