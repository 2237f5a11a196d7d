// sky api logs [ID]: replay or follow a request's log (the latest request when no id is given).
import { defineCommand } from 'citty'
import { existsSync, readFileSync } from 'node:fs'
import { UsageError } from '../../../core/errors'
import { paths } from '../../../core/paths'
import { sky } from '../../client'

export default defineCommand({
  meta: { name: 'logs', description: "Stream a request's logs." },
  args: {
    id: { type: 'positional', required: false, description: 'Request id (any unique prefix).' },
    follow: { type: 'boolean', default: true, description: 'Follow the log until the request ends (--no-follow to print what exists).' },
    tail: { type: 'string', description: 'Only the last N lines.' },
    'server-logs': { type: 'boolean', description: "Show the local API server's own log." },
  },
  async run({ args }) {
    const tail = args.tail === undefined ? undefined : Number(args.tail)
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`--tail: '${args.tail}' must be a non-negative integer.`)
    if (args['server-logs']) {
      const f = paths.serverLog()
      if (!existsSync(f)) return
      const lines = readFileSync(f, 'utf8').split('\n')
      process.stdout.write(lines.slice(tail ? -tail - 1 : 0).join('\n'))
      return
    }
    const c = sky()
    const ac = new AbortController()
    process.once('SIGINT', () => ac.abort())
    try {
      for await (const s of c.stream(args.id, { follow: args.follow !== false, tail, signal: ac.signal })) process.stdout.write(s)
    } catch (e) {
      if (!ac.signal.aborted) throw e
    }
  },
})
