// GET /api/openapi.json: the API described from its definitions (src/server/openapi.ts).
import { Elysia } from 'elysia'
import { openApiDocument } from '../openapi'

export function openApiRoutes() {
  let doc: string | undefined
  return new Elysia().get(
    '/api/openapi.json',
    () => new Response((doc ??= JSON.stringify(openApiDocument())), { headers: { 'content-type': 'application/json' } }),
    { detail: { operationId: 'api.openapi', summary: 'This document.', tags: ['requests'] } },
  )
}
