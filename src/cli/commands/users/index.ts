// sky users: manage the users and service-account tokens of a deployed API server (admins).
import { defineCommand } from 'citty'
import { lazy } from '../../lazy'
import { DESCRIPTIONS } from '../descriptions'

export default defineCommand({
  meta: { name: 'users', description: DESCRIPTIONS.users },
  subCommands: {
    list: lazy(() => import('./list')),
    create: lazy(() => import('./create')),
    delete: lazy(() => import('./delete')),
    role: lazy(() => import('./role')),
    password: lazy(() => import('./password')),
    token: lazy(() => import('./token/index')),
  },
})
