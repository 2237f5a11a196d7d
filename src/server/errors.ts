// Turn anything a route throws into `{error: WireError}` with the error's HTTP status. Elysia's
// schema failures become VALIDATION errors naming each bad field.
import { ValidationError as ElysiaValidationError } from 'elysia'
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { NotFoundError, SkyError, ValidationError, toSkyError, type FieldIssue } from '../core/errors'

function jsonPointerToPath(p: string | undefined): string {
  if (!p) return 'body'
  return p
    .split('/')
    .filter(Boolean)
    .reduce((acc, part) => (/^\d+$/.test(part) ? `${acc}[${part}]` : acc ? `${acc}.${part}` : part), '')
}

/** A value small enough to show back in an error (bodies are never echoed whole). */
function shown(v: unknown): unknown {
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return v
  if (typeof v === 'string' && v.length <= 80) return v
  return undefined
}

export function routeError(code: string | number, error: unknown): SkyError {
  if (error instanceof SkyError) return error
  // Errors thrown by the body parser (src/server/body.ts) arrive wrapped in Elysia's ParseError.
  const cause = (error as { cause?: unknown } | null)?.cause
  if (code === 'PARSE' && cause instanceof SkyError) return cause
  if (error instanceof ElysiaValidationError || code === 'VALIDATION') {
    const ve = error as ElysiaValidationError
    const seen = new Set<string>()
    const issues: FieldIssue[] = []
    let all: { path?: string; message?: string; summary?: string; value?: unknown; schema?: { error?: unknown } }[] = []
    try {
      all = ve.all as never
    } catch {}
    for (const e of all) {
      const path = jsonPointerToPath(e.path)
      if (seen.has(path)) continue
      seen.add(path)
      // A schema's own `error` text (e.g. the rule for cluster names) says more than TypeBox's.
      const own = typeof e.schema?.error === 'string' ? e.schema.error : undefined
      const value = shown(e.value)
      issues.push({ path, message: String(own || unionMessage(e.schema, e.value) || e.summary || e.message || 'invalid value').slice(0, 300), ...(value === undefined ? {} : { value }) })
      if (issues.length >= 20) break
    }
    if (!issues.length) issues.push({ path: 'body', message: 'request body is not valid JSON of the expected shape' })
    return new ValidationError(issues)
  }
  if (code === 'PARSE') return new ValidationError([{ path: 'body', message: 'request body is not valid JSON' }])
  if (code === 'NOT_FOUND') return new NotFoundError('No such endpoint.')
  return toSkyError(error)
}

/**
 * Elysia checks a query number as "numeric string or number", whose failure only says "should be
 * one of: 'numeric', 'number'"; the number's own rule ("Expected number to be less or equal to
 * 50") is what the caller needs.
 */
function unionMessage(schema: unknown, value: unknown): string | undefined {
  const variants = (schema as { anyOf?: TSchema[] } | undefined)?.anyOf
  if (!variants || typeof value !== 'number') return undefined
  for (const v of variants) {
    if (v.type !== 'number' && v.type !== 'integer') continue
    try {
      const first = Value.Errors(v, value).First()
      if (first) return first.message
    } catch {}
  }
  return undefined
}
