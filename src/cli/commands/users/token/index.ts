// sky users token: service-account tokens (create shows the token once).
import { defineCommand } from 'citty'
import { lazy } from '../../../lazy'

export default defineCommand({
  meta: { name: 'token', description: 'Manage service-account tokens.' },
  subCommands: {
    create: lazy(() => import('./create')),
    list: lazy(() => import('./list')),
    revoke: lazy(() => import('./revoke')),
  },
})
