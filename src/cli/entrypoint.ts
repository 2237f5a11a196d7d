// Turn a command's ENTRYPOINT (a task YAML path or an inline command) plus task options into a
// validated Dag with absolute local paths, ready to send to the server.
import { existsSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { isAbsolute, resolve } from 'node:path'
import { NotFoundError, UsageError, ValidationError } from '../core/errors'
import { applyOverrides, checkRequiredValues, dagFromTask, parseDagWithOverrides, taskFromCommand } from '../core/task/overrides'
import { serializeDag } from '../core/task/serialize'
import type { Dag, Task } from '../core/task/types'
import { checkLocalSources } from './prelaunch'
import { info } from './output'
import { overridesFromArgs } from './task-args'

function absolute(p: string, base: string): string {
  if (p === '~' || p.startsWith('~/')) return resolve(homedir(), p.slice(2))
  return isAbsolute(p) ? p : resolve(base, p)
}

function localizePaths(t: Task, base: string): Task {
  const out: Task = { ...t, fileMounts: { ...t.fileMounts } }
  if (typeof t.workdir === 'string') out.workdir = absolute(t.workdir, base)
  for (const [dst, m] of Object.entries(t.fileMounts)) if (m.kind === 'local') out.fileMounts[dst] = { ...m, source: absolute(m.source, base) }
  return out
}

const looksLikeYaml = (s: string) => /\.ya?ml$/i.test(s)

/** The Dag for `sky launch/exec/jobs launch ENTRYPOINT... [task options]`. */
export function loadEntrypoint(entry: string[], args: Record<string, unknown>, rawArgs: string[], o: { dryrun?: boolean } = {}): Dag {
  const overrides = overridesFromArgs(args, rawArgs)
  let dag: Dag
  if (entry.length === 1 && looksLikeYaml(entry[0]!)) {
    const file = entry[0]!
    if (!existsSync(file)) throw new NotFoundError(`Task file '${file}' not found.`)
    if (!statSync(file).isFile()) throw new UsageError(`'${file}' is not a file.`)
    dag = parseDagWithOverrides(readFileSync(file, 'utf8'), overrides, { filePath: file })
  } else if (entry.length > 0) {
    dag = applyOverrides(dagFromTask(taskFromCommand(entry.join(' '))), overrides)
  } else {
    dag = applyOverrides({ tasks: [{ numNodes: 1, resources: { mode: 'single', candidates: [{}] }, envs: {}, secrets: {}, fileMounts: {} }] }, overrides)
  }
  if (o.dryrun) {
    // A dry run only plans: values left empty in the YAML are reported, not required.
    try {
      checkRequiredValues(dag)
    } catch (e) {
      if (!(e instanceof ValidationError)) throw e
      for (const i of e.issues) info(`Warning: ${i.path} ${i.message}`)
    }
  } else checkRequiredValues(dag)
  const base = process.cwd()
  const local = { ...dag, tasks: dag.tasks.map((t) => localizePaths(t, base)) }
  // Before anything reaches the server (dry runs too): every local source must exist and be readable.
  checkLocalSources(local, base)
  return local
}

/** YAML to send to the server (secrets included: they travel to the cluster, never to output). */
export function taskYaml(dag: Dag): string {
  return serializeDag(dag, { redactSecrets: false })
}
