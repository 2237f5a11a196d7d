// Task YAML text → Dag. A file holds one task, or several `---`-separated task documents (a
// pipeline, or a job group with `execution: parallel`), optionally preceded by a header document
// that has only `name` and/or `execution`.
import { child, isMap, Issues } from './issues'
import { isEnvName, parseTask } from './task-parse'
import type { Dag, Task } from './types'
import { loadYamlDocuments } from './yaml-io'

export type EnvPairs = Record<string, string> | Array<[string, string]>

export interface ParseDagOptions {
  /** `--env` values; they win over the YAML's `envs` and are substituted into file_mounts etc. */
  envOverrides?: EnvPairs
  /** `--secret` values; they win over the YAML's `secrets`. */
  secretOverrides?: EnvPairs
  /** Where the YAML came from, for error hints. */
  filePath?: string
}

const HEADER_KEYS = ['name', 'execution', 'primary_tasks', 'termination_delay']
const DELAY_RE = /^\d+[smhdw]?$/i
const EXECUTION = ['serial', 'parallel'] as const

/** Parse task YAML. Throws ValidationError (one issue per problem) and nothing else. */
export function parseDag(yamlText: string, opts: ParseDagOptions = {}): Dag {
  const issues = new Issues()
  const dag = parseDagCollecting(yamlText, opts, issues)
  issues.throwIfAny(opts.filePath ? `in ${opts.filePath}` : undefined)
  return dag
}

/** Like parseDag but leaves problems in `issues` instead of throwing. */
export function parseDagCollecting(yamlText: string, opts: ParseDagOptions, issues: Issues): Dag {
  const envOverrides = overridePairs(opts.envOverrides, '--env', issues)
  const secretOverrides = overridePairs(opts.secretOverrides, '--secret', issues)
  const docs = loadYamlDocuments(yamlText, issues, opts.filePath ?? 'yaml').filter((d) => d.value !== null && d.value !== undefined)
  if (issues.count > 0 && docs.length === 0) return { tasks: [] }

  const dag: Dag = { tasks: [] }
  let taskDocs = docs
  const first = docs[0]?.value
  if (docs.length > 1 && isMap(first) && Object.keys(first).every((k) => HEADER_KEYS.includes(k))) {
    taskDocs = docs.slice(1)
    if (first.name !== undefined && first.name !== null) {
      if (typeof first.name === 'string' && first.name.trim() !== '') dag.name = first.name
      else issues.bad('name', first.name, 'must be a string (the pipeline name)')
    }
    const ex = first.execution
    if (ex !== undefined && ex !== null) {
      const e = typeof ex === 'string' ? ex.trim().toLowerCase() : undefined
      if (e && (EXECUTION as readonly string[]).includes(e)) dag.execution = e as Dag['execution']
      else issues.bad('execution', ex, `must be one of ${EXECUTION.join(', ')}`)
    }
    parseGroupFields(first, dag, issues)
  }
  if (taskDocs.length === 0) taskDocs = [{ value: {}, scalarText: {} }]
  const multi = taskDocs.length > 1
  taskDocs.forEach((d, i) => {
    const task: Task = parseTask(d.value, { path: multi ? child('tasks', i) : '', envOverrides, secretOverrides, scalarText: d.scalarText }, issues)
    dag.tasks.push(task)
  })
  if (!multi && dag.name === undefined && dag.tasks[0]?.name !== undefined) dag.name = dag.tasks[0].name
  if (dag.primaryTasks) {
    const names = new Set(dag.tasks.map((t) => t.name))
    dag.primaryTasks.forEach((n, i) => {
      if (!names.has(n)) issues.bad(child('primary_tasks', i), n, `must name a task of this group (${[...names].filter(Boolean).join(', ') || 'tasks have no names'})`)
    })
  }
  return dag
}

/** Job-group header fields: `primary_tasks` and `termination_delay`. */
function parseGroupFields(header: Record<string, unknown>, dag: Dag, issues: Issues): void {
  const primary = header.primary_tasks
  if (primary !== undefined && primary !== null) {
    if (Array.isArray(primary) && primary.every((p) => typeof p === 'string' && p !== '')) dag.primaryTasks = primary as string[]
    else issues.bad('primary_tasks', primary, 'must be a list of task names')
  }
  const delay = header.termination_delay
  if (delay === undefined || delay === null) return
  const okDelay = (v: unknown) => (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && DELAY_RE.test(v.trim()))
  const allowed = "must be a duration like '30s' or '5m', or a mapping {default: '30s', <task>: '1m'}"
  if (okDelay(delay)) dag.terminationDelay = String(delay).trim()
  else if (isMap(delay)) {
    const out: Record<string, string> = {}
    for (const [k, v] of Object.entries(delay)) {
      if (okDelay(v)) out[k] = String(v).trim()
      else issues.bad(child('termination_delay', k), v, allowed)
    }
    dag.terminationDelay = out
  } else issues.bad('termination_delay', delay, allowed)
}

/** Validate and normalize `KEY → value` overrides. */
export function overridePairs(pairs: EnvPairs | undefined, flag: string, issues: Issues): Record<string, string> {
  const out: Record<string, string> = {}
  if (!pairs) return out
  const list: unknown[] = Array.isArray(pairs) ? pairs : Object.entries(pairs)
  for (const pair of list) {
    const [k, v] = Array.isArray(pair) ? pair : [undefined, undefined]
    if (!isEnvName(k)) {
      issues.bad(flag, k, 'must be a valid environment variable name (letters, digits and _; not starting with a digit)')
      continue
    }
    if (typeof v !== 'string') {
      issues.bad(`${flag} ${k}`, v, 'must be a string value')
      continue
    }
    out[k] = v
  }
  return out
}
