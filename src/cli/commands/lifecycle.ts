// sky stop / start / down / autostop share one shape: cluster names (or -a), a confirmation,
// one request per cluster, optional --async.
import { defineCommand, type ArgsDef } from 'citty'
import { UsageError } from '../../core/errors'
import type { SkyClient } from '../../sdk/client'
import { asyncArg, allUsersArg, positionals, yesArg } from '../args'
import { finish, sky } from '../client'
import { resolveClusters } from '../cluster-targets'
import { info } from '../output'
import { confirm } from '../prompt'

interface Spec {
  name: string
  description: string
  verb: string
  args: ArgsDef
  submit: (c: SkyClient, cluster: string, args: Record<string, unknown>) => Promise<string>
  validate?: (args: Record<string, unknown>) => void
  stream?: boolean
}

export function clusterCommand(s: Spec) {
  return defineCommand({
    meta: { name: s.name, description: s.description },
    args: {
      clusters: { type: 'positional', required: false, description: 'Cluster names or glob patterns.' },
      all: { type: 'boolean', alias: 'a', description: 'All of your clusters.' },
      ...allUsersArg,
      ...s.args,
      ...yesArg,
      ...asyncArg,
    },
    async run({ args }) {
      s.validate?.(args)
      const names = await resolveClusters(positionals(args), { all: !!args.all, allUsers: !!args['all-users'] })
      if (!names.length) {
        info('No clusters to act on.')
        return
      }
      if (!args.yes) {
        const q = `${s.verb} ${names.length} cluster${names.length === 1 ? '' : 's'}: ${names.join(', ')}. Proceed?`
        if (!process.stdin.isTTY) throw new UsageError(`${q} — no terminal to ask on; pass -y to confirm.`)
        if (!(await confirm(q))) throw new UsageError('Aborted.')
      }
      const c = sky()
      const ids = await Promise.all(names.map((n) => s.submit(c, n, args)))
      let failed: unknown
      for (const id of ids) {
        try {
          await finish(id, { stream: s.stream ?? true, async: !!args.async, name: `sky.${s.name}` })
        } catch (e) {
          failed ??= e
          if ((e as { code?: string }).code === 'INTERRUPTED') throw e
          info(`Error: ${(e as Error).message}`)
        }
      }
      if (failed) throw failed
    },
  })
}

export function parseIdle(v: unknown, flag = '--idle-minutes'): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: '${v}' must be a whole number of minutes (>= 0).`)
  return n
}
