// The command tree. Each command is its own module, loaded only when used or when help lists it.
import { defineCommand } from 'citty'
import { VERSION } from '../../version'

const lazy = (load: () => Promise<{ default: unknown }>) => () => load().then((m) => m.default as never)

export function rootCommand() {
  return defineCommand({
    meta: {
      name: 'sky',
      version: VERSION,
      description: 'Run AI workloads on any infra: this machine, SSH machines, Kubernetes, AWS, GCP.',
    },
    subCommands: {
      status: lazy(() => import('./status')),
      api: lazy(() => import('./api/index')),
    },
  })
}
