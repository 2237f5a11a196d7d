// Shared helpers for the task-model tests.
import { expect } from 'bun:test'
import { ValidationError, type FieldIssue } from '../../../src/core/errors'
import { parseDag, type ParseDagOptions } from '../../../src/core/task/dag-parse'
import type { Resources, Task } from '../../../src/core/task/types'

export function task(yaml: string, opts?: ParseDagOptions): Task {
  const dag = parseDag(yaml, opts)
  expect(dag.tasks.length).toBe(1)
  return dag.tasks[0]!
}

/** The single resources candidate of a one-task YAML whose body is `resources:` lines. */
export function res(resourcesYaml: string): Resources {
  const t = task(`resources:\n${indent(resourcesYaml)}`)
  expect(t.resources.candidates.length).toBe(1)
  return t.resources.candidates[0]!
}

export function indent(s: string): string {
  return s
    .split('\n')
    .map((l) => (l ? `  ${l}` : l))
    .join('\n')
}

/** Parse and return the issues of the ValidationError it must throw. */
export function issuesOf(fn: () => unknown): FieldIssue[] {
  try {
    fn()
  } catch (e) {
    if (!(e instanceof ValidationError)) throw e
    return e.issues
  }
  throw new Error('expected a ValidationError, but parsing succeeded')
}

export function yamlIssues(yaml: string): FieldIssue[] {
  return issuesOf(() => parseDag(yaml))
}
