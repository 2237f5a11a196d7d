// The environment a job starts from, on any infra: never the API server's (or the agent's)
// environment, whose variables may hold credentials (SKYPILOT_INITIAL_ADMIN, database URLs,
// cloud keys). Only what a login shell would need is kept: the search path, locale, time zone and
// terminal; the job's own variables (the task's envs and secrets, SKYPILOT_*, HOME, USER) are
// added on top by whoever starts it.
const KEEP = new Set(['PATH', 'USER', 'LOGNAME', 'LANG', 'LANGUAGE', 'TZ', 'TERM', 'SHELL', 'TMPDIR'])

/** The default search path for a job whose runner gives none (or runs as a sandbox user). */
export const DEFAULT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export function jobBaseEnv(from: NodeJS.ProcessEnv = process.env, o: { fixedPath?: boolean } = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(from)) {
    if (v === undefined) continue
    if (KEEP.has(k) || k.startsWith('LC_')) env[k] = v
  }
  if (o.fixedPath || !env.PATH) env.PATH = DEFAULT_PATH
  return env
}
