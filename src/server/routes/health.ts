// GET /api/health: liveness plus the facts the client checks (versions, auth mode, user). Open
// to anyone; the user is shown only to a caller whose credentials (or local token) check out.
import { Elysia } from 'elysia'
import { API_VERSION, COMMIT, VERSION } from '../../version'
import type { AppDeps } from '../context'

export function healthRoutes(d: AppDeps) {
  return new Elysia().get('/api/health', async ({ request }) => {
    let user: { name: string; id: string } | undefined
    try {
      if (!d.local || d.local.valid(request)) {
        const who = await d.identify(request)
        user = { name: who.name, id: who.id }
      }
    } catch (e) {
      // Credentials that were sent must be right (sky api login checks them here).
      if (request.headers.has('authorization') && d.info.deploy) throw e
    }
    return {
      status: 'healthy',
      api_version: API_VERSION,
      version: VERSION,
      commit: COMMIT,
      user,
      deploy: d.info.deploy,
      auth_mode: d.info.authMode,
      basic_auth_enabled: d.info.deploy,
      service_account_token_enabled: d.info.deploy,
      started_at: d.info.startedAt,
    }
  })
}
