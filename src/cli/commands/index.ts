// The command tree. Each command is its own module, loaded only when used or when help lists it.
import { defineCommand } from 'citty'
import { lazy } from '../lazy'
import { VERSION } from '../../version'
import { DESCRIPTIONS } from './descriptions'

/**
 * The root as `sky --help` lists it: each command a stub holding its name and description, so
 * listing loads no command module. show-gpus stays unlisted as the alias it is.
 */
export function rootHelpCommand() {
  const root = rootCommand()
  const subCommands = Object.fromEntries(
    Object.entries(DESCRIPTIONS)
      .filter(([name]) => name !== 'show-gpus')
      .map(([name, description]) => [name, { meta: { name, description } }]),
  )
  return { ...root, subCommands }
}

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
      jobs: lazy(() => import('./jobs/index')),
      serve: lazy(() => import('./serve/index')),
      ssh: lazy(() => import('./ssh/index')),
      api: lazy(() => import('./api/index')),
      dashboard: lazy(() => import('./dashboard')),
      users: lazy(() => import('./users/index')),
    },
  })
}
