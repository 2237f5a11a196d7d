// sky api logs [ID]: replay or follow a request's log (the latest request when no id is given), the
// server's own log (--server-logs), or a log file by path (-l/--log-path).
import { defineCommand } from 'citty'
import { closeSync, existsSync, openSync, readFileSync, readSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { basename, isAbsolute, join, resolve } from 'node:path'
import { NotFoundError, UsageError } from '../../../core/errors'
import { paths } from '../../../core/paths'
import { sky } from '../../client'

/** Print a file's last `tail` lines (0 = all), then, when following, what is appended until Ctrl+C. */
async function catFile(file: string, follow: boolean, tail: number, signal: AbortSignal): Promise<void> {
  const text = readFileSync(file, 'utf8')
  const lines = text.split('\n')
  process.stdout.write(tail ? lines.slice(-tail - 1).join('\n') : text)
  let offset = Buffer.byteLength(text)
  const buf = Buffer.alloc(64 * 1024)
  while (follow && !signal.aborted) {
    await Bun.sleep(200)
    const size = statSync(file).size
    if (size <= offset) continue
    const fd = openSync(file, 'r')
    try {
      for (let n; offset < size && (n = readSync(fd, buf, 0, Math.min(buf.length, size - offset), offset)) > 0; offset += n) {
        process.stdout.write(buf.subarray(0, n))
      }
    } finally {
      closeSync(fd)
    }
  }
}

const REQUEST_LOG = /^([0-9a-f-]{8,})\.log$/

export default defineCommand({
  meta: { name: 'logs', description: "Stream a request's logs." },
  args: {
    id: { type: 'positional', required: false, description: 'Request id (any unique prefix).' },
    follow: { type: 'boolean', default: true, description: 'Follow the log until the request ends (--no-follow to print what exists).' },
    tail: { type: 'string', description: 'Only the last N lines.' },
    'server-logs': { type: 'boolean', description: "Show the local API server's own log." },
    'log-path': {
      type: 'string',
      alias: 'l',
      description: 'A log by path: a request log (…/request_logs/<id>.log, from any server) or a log file on this machine (relative to ~/sky_logs).',
    },
  },
  async run({ args }) {
    const tail = args.tail === undefined ? undefined : Number(args.tail)
    if (tail !== undefined && (!Number.isInteger(tail) || tail < 0)) throw new UsageError(`--tail: '${args.tail}' must be a non-negative integer.`)
    const given = [args.id !== undefined, !!args['server-logs'], args['log-path'] !== undefined].filter(Boolean).length
    if (given > 1) throw new UsageError('Give one of: a request id, --server-logs, -l/--log-path.')
    const ac = new AbortController()
    process.once('SIGINT', () => ac.abort())
    if (args['server-logs']) {
      const f = paths.serverLog()
      if (existsSync(f)) await catFile(f, false, tail ?? 0, ac.signal)
      return
    }
    let id = args.id as string | undefined
    const logPath = args['log-path'] as string | undefined
    if (logPath !== undefined) {
      const byId = REQUEST_LOG.exec(basename(logPath))
      const home = process.env.HOME || homedir()
      const file = logPath.startsWith('~/') ? join(home, logPath.slice(2)) : isAbsolute(logPath) ? logPath : resolve(home, 'sky_logs', logPath)
      if (!byId && !existsSync(file)) throw new NotFoundError(`No log at '${logPath}' (looked for ${file}).`, { hint: 'Request logs can be named by id: sky api logs <id>' })
      // A request's log is read through the server (its access rules, file or database log store).
      if (!byId) return catFile(file, args.follow !== false, tail ?? 0, ac.signal)
      id = byId[1]
    }
    try {
      for await (const s of sky().stream(id, { follow: args.follow !== false, tail, signal: ac.signal })) process.stdout.write(s)
    } catch (e) {
      if (!ac.signal.aborted) throw e
    }
  },
})
