// Argument fragments shared by several commands.
import type { ArgsDef } from 'citty'
import { UsageError } from '../core/errors'

export const yesArg = { yes: { type: 'boolean', alias: 'y', description: 'Skip confirmation prompts.' } } satisfies ArgsDef
export const asyncArg = { async: { type: 'boolean', description: 'Submit the request and return at once, printing its id.' } } satisfies ArgsDef
export const allUsersArg = { 'all-users': { type: 'boolean', alias: 'u', description: "Include other users' objects." } } satisfies ArgsDef
export const outputArg = { output: { type: 'string', alias: 'o', description: 'Output format: table or json.', default: 'table' } } satisfies ArgsDef
export const verboseArg = { verbose: { type: 'boolean', alias: 'v', description: 'Show all details.' } } satisfies ArgsDef

export function outputFormat(v: unknown): 'table' | 'json' {
  const s = String(v ?? 'table')
  if (s !== 'table' && s !== 'json') throw new UsageError(`--output: '${s}' is not a format; use table or json.`)
  return s
}

/** Positional values after the command's own positionals (citty puts them in `_`). */
export function positionals(args: { _: string[] }): string[] {
  return args._.filter((a) => a !== '')
}

/** A repeatable string option as a list. */
export function many(v: unknown): string[] {
  if (v === undefined || v === null || v === false) return []
  return (Array.isArray(v) ? v : [v]).map(String)
}
