// The command tree. Each command is its own module, loaded only when used or when help lists it.
import { defineCommand } from 'citty'
import { lazy } from '../lazy'
import { VERSION } from '../../version'

export function rootCommand() {
  return defineCommand({
    meta: {
      name: 'sky',
      version: VERSION,
      description: 'Run AI workloads on any infra: this machine, SSH machines, Kubernetes, AWS, GCP.',
    },
    subCommands: {
      launch: lazy(() => import('./launch')),
      exec: lazy(() => import('./exec')),
      status: lazy(() => import('./status')),
      queue: lazy(() => import('./queue')),
      logs: lazy(() => import('./logs')),
      cancel: lazy(() => import('./cancel')),
      stop: lazy(() => import('./stop')),
      start: lazy(() => import('./start')),
      down: lazy(() => import('./down')),
      autostop: lazy(() => import('./autostop')),
      check: lazy(() => import('./check')),
      gpus: lazy(() => import('./gpus/index')),
      'show-gpus': lazy(() => import('./show-gpus')),
      ssh: lazy(() => import('./ssh/index')),
      api: lazy(() => import('./api/index')),
      dashboard: lazy(() => import('./dashboard')),
      users: lazy(() => import('./users/index')),
    },
  })
}
