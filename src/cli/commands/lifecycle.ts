// sky stop / start / down / autostop share one shape: cluster names (or -a), a confirmation,
// one request per cluster, optional --async.
import { defineCommand, type ArgsDef } from 'citty'
import { UsageError } from '../../core/errors'
import { asyncArg, allUsersArg, positionals, yesArg } from '../args'
import { finish } from '../client'
import { resolveClusters } from '../cluster-targets'
import { alreadyReported, info } from '../output'
import { confirm } from '../prompt'

interface Spec {
  name: string
  description: string
  verb: string
  args: ArgsDef
  submit: (cluster: string, args: Record<string, unknown>) => Promise<string>
  validate?: (args: Record<string, unknown>) => void
  stream?: boolean
  /** With no names and no -a: act on the user's only cluster, when there is exactly one (sky start). */
  defaultToOnlyCluster?: boolean
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
      const names = await resolveClusters(positionals(args), { all: !!args.all, allUsers: !!args['all-users'], onlyOne: s.defaultToOnlyCluster, verb: s.name })
      if (!names.length) {
        info('No clusters to act on.')
        return
      }
      if (!args.yes) {
        const q = `${s.verb} ${names.length} cluster${names.length === 1 ? '' : 's'}: ${names.join(', ')}. Proceed?`
        if (!(await confirm(q))) throw new UsageError('Aborted.')
      }
      const ids = await Promise.all(names.map((n) => s.submit(n, args)))
      let failed: unknown
      for (const id of ids) {
        try {
          await finish(id, { stream: s.stream ?? true, async: !!args.async, name: `sky.${s.name}` })
        } catch (e) {
          if ((e as { code?: string }).code === 'INTERRUPTED' || ids.length === 1) throw e
          failed ??= e
          info(`Error: ${(e as Error).message}`)
        }
      }
      // Each failure was printed as it happened; exit with the first one's code.
      if (failed) throw alreadyReported(failed)
    },
  })
}

export function parseIdle(v: unknown, flag = '--idle-minutes'): number | undefined {
  if (v === undefined) return undefined
  const n = Number(v)
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`${flag}: '${v}' must be a whole number of minutes (>= 0).`)
  return n
}

/** `--graceful` / `--graceful-timeout N` of stop and down. */
export const gracefulArgs = {
  graceful: { type: 'boolean', description: 'Wait for MOUNT_CACHED uploads to finish first (this build has no cached storage mounts, so none are pending).' },
  'graceful-timeout': { type: 'string', description: 'Seconds to wait with --graceful (default: no limit).' },
} satisfies ArgsDef

export function validateGraceful(a: Record<string, unknown>): void {
  const t = a['graceful-timeout']
  if (t === undefined) return
  if (!a.graceful) throw new UsageError('--graceful-timeout needs --graceful.')
  const n = Number(t)
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--graceful-timeout: '${t}' must be a number of seconds > 0.`)
}
