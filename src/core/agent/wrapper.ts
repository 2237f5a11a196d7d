// The bash wrapper that runs one rank of one phase of a job on a node. It is started in its own
// session (so its pid is the process group to kill), runs the user's command with `bash -c`,
// prefixes and redacts each output line with awk, appends them to the log file, and writes the
// exit code to a file before exiting. Because it owns its log and exit file, a job keeps running
// and keeps its result when the agent daemon dies; the daemon only watches.

/**
 * awk program: prefix each line (SKY_AGENT_LINE_PREFIX) and replace every secret value (the env
 * vars named in SKY_AGENT_SECRET_NAMES, each line of a multi-line value, longest first) with
 * `<redacted>`, flushing per line so `logs --follow` sees output as it happens.
 */
const AWK_PROGRAM = String.raw`
BEGIN {
  p = ENVIRON["SKY_AGENT_LINE_PREFIX"]
  n = split(ENVIRON["SKY_AGENT_SECRET_NAMES"], names, " ")
  k = 0
  for (i = 1; i <= n; i++) {
    m = split(ENVIRON[names[i]], parts, "\n")
    for (j = 1; j <= m; j++) if (parts[j] != "") sec[++k] = parts[j]
  }
  for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (length(sec[j]) > length(sec[i])) { t = sec[i]; sec[i] = sec[j]; sec[j] = t }
}
{
  line = $0
  for (i = 1; i <= k; i++) {
    v = sec[i]; out = ""
    while ((x = index(line, v)) > 0) { out = out substr(line, 1, x - 1) "<redacted>"; line = substr(line, x + length(v)) }
    line = out line
  }
  print p line
  fflush()
}`

/** Inputs come from SKY_AGENT_* variables, which the wrapper removes before running the command. */
export const WRAPPER_SCRIPT = String.raw`__sky_cmd=$SKY_AGENT_CMD
__sky_log=$SKY_AGENT_LOG
__sky_exit=$SKY_AGENT_EXIT
__sky_pfx=$SKY_AGENT_PREFIX
__sky_sec=$SKY_AGENT_SECRET_NAMES
__sky_cwd=$SKY_AGENT_CWD
__sky_awk=$SKY_AGENT_AWK
__sky_pidf=$SKY_AGENT_PIDFILE
__sky_as=$SKY_AGENT_RUN_AS
unset SKY_AGENT_CMD SKY_AGENT_LOG SKY_AGENT_EXIT SKY_AGENT_PREFIX SKY_AGENT_SECRET_NAMES SKY_AGENT_CWD SKY_AGENT_AWK SKY_AGENT_PIDFILE SKY_AGENT_RUN_AS
if [ -n "$__sky_pidf" ]; then echo "$$" > "$__sky_pidf"; fi
cd "$__sky_cwd" 2>/dev/null || cd "$HOME" 2>/dev/null || cd /
if [ -z "$__sky_awk" ]; then
  case "$(awk -W version 2>&1 < /dev/null)" in *mawk*) __sky_awk="awk -W interactive" ;; *) __sky_awk=awk ;; esac
fi
__sky_prog='${AWK_PROGRAM}'
$__sky_as bash -c "$__sky_cmd" < /dev/null 2>&1 | SKY_AGENT_LINE_PREFIX="${'$'}{__sky_pfx//'{pid}'/$$}" SKY_AGENT_SECRET_NAMES="$__sky_sec" $__sky_awk "$__sky_prog" >> "$__sky_log"
__sky_rc=${'$'}{PIPESTATUS[0]}
printf '%s\n' "$__sky_rc" > "$__sky_exit.tmp" && mv -f "$__sky_exit.tmp" "$__sky_exit"
exit "$__sky_rc"
`

export interface WrapperInput {
  command: string
  logPath: string
  exitPath: string
  prefix: string
  secretNames: string[]
  cwd: string
  /** Where the wrapper writes its pid (remote ranks). */
  pidPath?: string
  /** `awk -W interactive` for mawk; detected by the wrapper when absent. */
  awk?: string
  /** Kept in the environment of every process of the job so strays can be found and killed. */
  tag: string
  /** The cluster's tag (ClusterSpec.tag), kept the same way: teardown finds every process by it. */
  clusterTag?: string | null
  /** Run the user's command as this account (a deployed server's local sandbox user). */
  runAs?: { uid: number; gid: number } | null
}

/** Words that run a command as `u`: its own groups, no way to gain privileges back. */
export function runAsPrefix(u: { uid: number; gid: number }): string {
  return `setpriv --reuid=${u.uid} --regid=${u.gid} --init-groups --no-new-privs --`
}

/** The SKY_AGENT_* variables a wrapper reads. */
export function wrapperEnv(w: WrapperInput): Record<string, string> {
  const env: Record<string, string> = {
    SKY_AGENT_CMD: w.command,
    SKY_AGENT_LOG: w.logPath,
    SKY_AGENT_EXIT: w.exitPath,
    SKY_AGENT_PREFIX: w.prefix,
    SKY_AGENT_SECRET_NAMES: w.secretNames.join(' '),
    SKY_AGENT_CWD: w.cwd,
    SKY_AGENT_JOB_TAG: w.tag,
  }
  if (w.clusterTag) env.SKY_AGENT_CLUSTER_TAG = w.clusterTag
  if (w.pidPath) env.SKY_AGENT_PIDFILE = w.pidPath
  if (w.awk) env.SKY_AGENT_AWK = w.awk
  if (w.runAs) env.SKY_AGENT_RUN_AS = runAsPrefix(w.runAs)
  return env
}

/** Single-quote a string for bash. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`
}

/** A self-contained script (exports, then the wrapper) for nodes reached over a CommandRunner. */
export function remoteWrapperScript(env: Record<string, string>): string {
  const exports = Object.entries(env)
    .map(([k, v]) => `export ${k}=${shQuote(v)}`)
    .join('\n')
  return `rm -f -- "$0"\n${exports}\n${WRAPPER_SCRIPT}`
}

let awkCache: string | undefined

/** The awk invocation for this machine (mawk needs `-W interactive` to not buffer its input). */
export function localAwk(): string {
  if (awkCache !== undefined) return awkCache
  const r = Bun.spawnSync(['awk', '-W', 'version'], { stdin: 'ignore', stdout: 'pipe', stderr: 'pipe' })
  const text = `${r.stdout?.toString() ?? ''}${r.stderr?.toString() ?? ''}`
  awkCache = /mawk/i.test(text) ? 'awk -W interactive' : 'awk'
  return awkCache
}
