// Shell text for running a command on a node over an exec channel: the command runs in a new
// session (setsid; `set -m` job control where setsid is missing) whose process-group id is printed
// first on stderr as a marker line, so an abort can later kill the whole group from another channel.
import { ValidationError } from '../errors'

/** Quote `s` as one POSIX shell word. */
export function shQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`
}

/** `cd` target with a leading `~` left for the shell to expand. */
export function shPath(p: string): string {
  if (p === '~') return '~'
  if (p.startsWith('~/')) return `~/${shQuote(p.slice(2))}`
  return shQuote(p)
}

export const PGID_MARKER = '\x1eSKYPGID '

export interface WrapOptions {
  env?: Record<string, string>
  cwd?: string
}

/**
 * The exec command for `cmd`. The login shell execs bash, which starts the command's own session
 * in the background (stdin passed through on fd 3) and waits for it, so the exit status is bash's
 * usual one (128+N for a signal) even when the group is killed.
 */
export function wrapRemoteCommand(cmd: string, opts: WrapOptions = {}): string {
  const lines = [`printf '${PGID_MARKER.replace('\x1e', '\\036')}%s\\n' "$$" >&2`]
  if (opts.cwd) lines.push(`cd ${shPath(opts.cwd)} || exit 1`)
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new ValidationError([{ path: `env.${k}`, message: 'not a valid environment variable name' }])
    lines.push(`export ${k}=${shQuote(v)}`)
  }
  lines.push('__sky_cmd=$1; shift; eval "$__sky_cmd"')
  const inner = lines.join('\n')
  // The job gets the original stdin and stderr (fds 3 and 4); this shell's own stderr goes to
  // /dev/null so bash's "Killed"/"Terminated" job notices never reach the output.
  const outer = [
    'exec 3<&0 4>&2 2>/dev/null',
    'if command -v setsid >/dev/null; then setsid bash -c "$1" sky-run "$2" <&3 2>&4 3<&- 4>&- &',
    'else set -m; bash -c "$1" sky-run "$2" <&3 2>&4 3<&- 4>&- & fi',
    'exec 3<&- 4>&-',
    'wait $!',
  ].join('\n')
  return `exec bash -c ${shQuote(outer)} sky-wrap ${shQuote(inner)} ${shQuote(cmd)}`
}

/**
 * Shell text that SIGTERMs process group `pgid`, waits up to `graceMs` for its live members to go,
 * then SIGKILLs what is left and waits for that too. Zombies do not count as live.
 */
export function killGroupCommand(pgid: number, graceMs: number): string {
  const ticks = Math.max(1, Math.ceil(graceMs / 100))
  const script = [
    `g=${pgid}`,
    'kill -TERM -- -$g 2>/dev/null || exit 0',
    'alive() {',
    '  [ -r /proc/self/stat ] || { kill -0 -- -$g 2>/dev/null; return; }',
    '  for f in /proc/[0-9]*/stat; do',
    '    read -r l < "$f" 2>/dev/null || continue',
    '    set -- ${l##*") "}',
    '    [ "$3" = "$g" ] && [ "$1" != Z ] && return 0',
    '  done',
    '  return 1',
    '}',
    'i=0',
    `while alive; do if [ $i -ge ${ticks} ]; then kill -KILL -- -$g 2>/dev/null; break; fi; sleep 0.1; i=$((i+1)); done`,
    'i=0',
    'while [ $i -lt 20 ] && alive; do sleep 0.1; i=$((i+1)); done',
    'exit 0',
  ].join('\n')
  return `exec bash -c ${shQuote(script)}`
}
