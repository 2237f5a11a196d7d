// What the CLI checks before asking the server for anything (also for --dryrun): every local
// source the task names exists and can be read, a git workdir URL has a form git can clone, and
// large uploads are announced. Feature support per infra (docker images, cloud storage, volumes)
// is the optimizer's to check, server side, with the same effect: nothing is provisioned first.
import { accessSync, constants, existsSync, statSync } from 'node:fs'
import { isAbsolute, resolve } from 'node:path'
import { ValidationError, type FieldIssue } from '../core/errors'
import { isCloudUri } from '../core/task/file-mounts'
import type { Dag, Task } from '../core/task/types'
import { listSyncEntries } from '../core/runner/ignore'
import { checkConfig } from '../core/config-schema'
import { info } from './output'

const GIT_URL = /^(?:(?:https?|ssh|git|file):\/\/\S+|[\w.-]+@[\w.-]+:\S+)$/

/** Uploads above this size get a warning (syncing them takes a while). */
export const LARGE_UPLOAD_BYTES = 1024 ** 3

function readable(path: string, dir: boolean): string | undefined {
  if (!existsSync(path)) return `local path '${path}' does not exist`
  const st = statSync(path)
  if (dir && !st.isDirectory()) return `'${path}' is not a directory`
  try {
    accessSync(path, st.isDirectory() ? constants.R_OK | constants.X_OK : constants.R_OK)
  } catch {
    return `'${path}' is not readable`
  }
  return undefined
}

function taskIssues(t: Task, prefix: string, base: string): FieldIssue[] {
  const issues: FieldIssue[] = []
  const add = (path: string, why: string | undefined) => why && issues.push({ path: prefix + path, message: why })
  if (typeof t.workdir === 'string') add('workdir', readable(t.workdir, true))
  else if (t.workdir && !GIT_URL.test(t.workdir.url)) {
    add('workdir.url', `'${t.workdir.url}' is not a git URL git can clone (https://..., ssh://..., git@host:path or file://...)`)
  }
  for (const [dst, m] of Object.entries(t.fileMounts)) {
    if (m.kind === 'local') add(`file_mounts.${dst}`, readable(m.source, false))
    else if (m.kind === 'storage' && m.source !== undefined) {
      for (const src of Array.isArray(m.source) ? m.source : [m.source]) {
        if (!isCloudUri(src)) add(`file_mounts.${dst}.source`, readable(isAbsolute(src) ? src : resolve(base, src), false))
      }
    }
  }
  return issues
}

/** Throws one ValidationError naming every missing or unreadable local source of the DAG. */
export function checkLocalSources(dag: Dag, base = process.cwd()): void {
  const issues = dag.tasks.flatMap((t, i) => taskIssues(t, dag.tasks.length > 1 ? `tasks[${i}].` : '', base))
  if (issues.length) throw new ValidationError(issues, { hint: 'Paths in a task YAML are relative to the directory you run sky in.' })
}

/**
 * A git workdir's repository and ref, checked from here with `git ls-remote` (as SkyPilot checks
 * them) so a typo fails before any node exists (a dry run only warns). Skipped when git is not
 * installed here; GIT_TOKEN from the task authenticates https.
 */
export async function checkGitWorkdirs(dag: Dag, o: { warnOnly?: boolean } = {}): Promise<void> {
  if (!dag.tasks.some((t) => t.workdir && typeof t.workdir === 'object') || !Bun.which('git')) return
  const issues: FieldIssue[] = []
  for (const [i, t] of dag.tasks.entries()) {
    if (!t.workdir || typeof t.workdir === 'string') continue
    const prefix = dag.tasks.length > 1 ? `tasks[${i}].` : ''
    const token = t.secrets.GIT_TOKEN ?? t.envs.GIT_TOKEN
    const auth = token ? ['-c', `http.extraHeader=Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`] : []
    const p = Bun.spawn(['git', ...auth, 'ls-remote', t.workdir.url], {
      stdout: 'pipe',
      stderr: 'pipe',
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0' },
    })
    const timer = setTimeout(() => p.kill(), 20_000)
    const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited])
    clearTimeout(timer)
    if (code !== 0) {
      issues.push({ path: `${prefix}workdir.url`, message: `git cannot read '${t.workdir.url}': ${err.trim().split('\n').pop() || `git ls-remote exited ${code}`}` })
      continue
    }
    const ref = t.workdir.ref
    if (!ref || /^[0-9a-f]{7,40}$/i.test(ref)) continue // a commit cannot be listed; the nodes fetch it
    const names = out.split('\n').map((l) => l.split('\t')[1] ?? '')
    if (!names.some((n) => n === ref || n === `refs/heads/${ref}` || n === `refs/tags/${ref}`)) {
      issues.push({ path: `${prefix}workdir.ref`, message: `'${ref}' is neither a branch nor a tag of ${t.workdir.url}` })
    }
  }
  if (!issues.length) return
  // A dry run may be made where the repository cannot be reached (no network): it reports, launch refuses.
  if (o.warnOnly) for (const i of issues) info(`Warning: ${i.path}: ${i.message}`)
  else throw new ValidationError(issues)
}

/** Warn (stderr) when the workdir and local file mounts add up to more than LARGE_UPLOAD_BYTES. */
export async function warnLargeUploads(dag: Dag): Promise<void> {
  let total = 0
  for (const t of dag.tasks) {
    const sources = [...(typeof t.workdir === 'string' ? [t.workdir] : []), ...Object.values(t.fileMounts).flatMap((m) => (m.kind === 'local' ? [m.source] : []))]
    for (const src of sources) {
      if (statSync(src).isDirectory()) for (const e of await listSyncEntries(src)) total += e.size
      else total += statSync(src).size
      if (total > LARGE_UPLOAD_BYTES) {
        info(`Warning: the workdir and file mounts hold more than ${(LARGE_UPLOAD_BYTES / 1024 ** 3).toFixed(0)} GB to sync; list what the task does not need in .skyignore.`)
        return
      }
    }
  }
}

/**
 * A task's `config:` block (besides `hooks`) overrides config keys for that task; the ones this
 * build does not act on are reported, as they are in the config files.
 */
export function warnTaskConfig(dag: Dag): void {
  for (const [i, t] of dag.tasks.entries()) {
    if (!t.config) continue
    const { hooks: _hooks, ...rest } = t.config
    const r = checkConfig(rest)
    const where = dag.tasks.length > 1 ? `tasks[${i}].config` : 'config'
    for (const p of r.unsupported) info(`Warning: ${where}.${p} (in the task) is not supported by this build of sky; it is ignored.`)
    for (const e of r.issues) info(`Warning: ${where}.${e.path}: ${e.message}; it is ignored.`)
  }
}
