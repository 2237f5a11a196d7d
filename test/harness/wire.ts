// What a JSON answer (an `-o json` output, an API body) breaks in a wire schema of src/api/wire.ts:
// `expect(wireErrors(Cluster, rows)).toEqual([])` fails naming each field that is off.
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'

export function wireErrors(schema: TSchema, values: unknown[]): string[] {
  return values.flatMap((v, i) => [...Value.Errors(schema, v)].map((e) => `[${i}]${e.path}: ${e.message} (got ${JSON.stringify(e.value)})`))
}
