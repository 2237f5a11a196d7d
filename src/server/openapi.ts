// The OpenAPI 3.1 document (GET /api/openapi.json), built from the same definitions as the routes
// (src/api/registry.ts). Operations document their body and, as `x-sky-result`, the result that
// `GET /api/get` returns once they finish; endpoints document their query or body and answer.
import type { TSchema } from '@sinclair/typebox'
import { isRequestOp, splitInput, type AnyDefinition } from '../api/define'
import { definitions } from '../api/registry'
import { ErrorPayload, SubmitResponse } from '../api/wire'
import { API_VERSION, VERSION } from '../version'

type Json = Record<string, unknown>

/** A TypeBox schema as plain JSON Schema (TypeBox's symbol keys dropped). */
const plain = (s: TSchema): Json => JSON.parse(JSON.stringify(s))

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: { type: 'object', properties: { error: plain(ErrorPayload) } } } } })

const ERRORS = {
  '400': errorResponse('Invalid body or query: `error.details.issues` names each field (VALIDATION)'),
  '401': errorResponse('Credentials missing or wrong (deployed server)'),
  '403': errorResponse('The caller may not do this'),
  '404': errorResponse('No such object'),
}

function parameters(input: TSchema, where: 'query' | 'path'): Json[] {
  const props = (input as { properties?: Record<string, TSchema> }).properties ?? {}
  const required = new Set((input as { required?: string[] }).required ?? [])
  return Object.entries(props).map(([name, schema]) => ({ name, in: where, required: where === 'path' || required.has(name), schema: plain(schema) }))
}

/** `/upload/blobs/:hash` as OpenAPI writes it: `/upload/blobs/{hash}`. */
export const openApiPath = (route: string) => route.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}')

function operation(def: AnyDefinition): [method: string, op: Json] {
  const common = { operationId: def.name, summary: def.summary, tags: [def.tag], 'x-sky-access': def.access }
  if (isRequestOp(def)) {
    return [
      'post',
      {
        ...common,
        'x-sky-lane': def.lane,
        'x-sky-idempotent': def.idempotent,
        'x-sky-result': plain(def.result),
        requestBody: { required: true, content: { 'application/json': { schema: plain(def.body) } } },
        responses: {
          '200': {
            description: 'Request submitted. Wait for its result (x-sky-result) with GET /api/get?request_id=..., stream its log with GET /api/stream.',
            headers: { 'X-Skypilot-Request-ID': { schema: { type: 'string' } } },
            content: { 'application/json': { schema: plain(SubmitResponse) } },
          },
          ...ERRORS,
        },
      },
    ]
  }
  const answer = def.produces === 'text' ? { 'text/plain': { schema: plain(def.result) } } : { 'application/json': { schema: plain(def.result) } }
  const { params, rest } = splitInput(def)
  const inPath = params ? parameters(params, 'path') : []
  const bytes = (def.input as { properties?: Record<string, TSchema> }).properties?.bytes
  const input =
    def.method === 'POST'
      ? { ...(inPath.length ? { parameters: inPath } : {}), requestBody: { required: true, content: { 'application/json': { schema: plain(rest) } } } }
      : {
          parameters: [...inPath, ...parameters(rest, 'query')],
          ...(def.method === 'PUT' ? { requestBody: { required: true, content: { 'application/octet-stream': { schema: { type: 'string', format: 'binary', description: bytes?.description } } } } } : {}),
        }
  return [def.method.toLowerCase(), { ...common, ...input, responses: { '200': { description: 'OK', content: answer }, ...ERRORS } }]
}

export function openApiDocument(extra: readonly AnyDefinition[] = []): Json {
  const paths: Record<string, Json> = {}
  for (const def of [...definitions, ...extra]) {
    const [method, op] = operation(def)
    const path = openApiPath(def.route)
    paths[path] = { ...paths[path], [method]: op }
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'sky API server',
      version: VERSION,
      description: `API version ${API_VERSION}. Operations answer a request id; GET /api/get gives the result. Send X-SkyPilot-API-Version with every call.`,
    },
    paths,
  }
}
