import { ServerUnreachableError } from '../../core/errors'
// Shared shape of every operation route: validate the JSON body, store a PENDING request, and
// answer with its id in the X-Skypilot-Request-ID header (and the body, for browsers and curl).
import type { AppDeps } from '../context'

export async function submitOp(d: AppDeps, request: Request, name: string, body: Record<string, unknown>, set: { headers: Record<string, unknown> }) {
  if (d.info.draining) throw new ServerUnreachableError('The API server is shutting down; try again in a moment.')
  const who = await d.identify(request)
  const id = await d.requests.submit(name, body ?? {}, { id: who.id, name: who.name, role: who.role })
  set.headers['x-skypilot-request-id'] = id
  return { request_id: id }
}
