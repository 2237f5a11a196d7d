// Managed-jobs routes: one POST per operation in ops/jobs.ts (validated body → request id), and
// the dashboard's read-only list GET /api/dashboard/jobs (as `sky jobs queue [-u]`, read straight
// from the store with an ETag, so an open tab polls cheaply).
import { Elysia, t } from 'elysia'
import { jobToWire } from '../../core/jobs/wire'
import type { AppDeps } from '../context'
import { JOBS_OPS } from '../ops/jobs'
import { jsonWithEtag } from './dashboard'
import { submitOp } from './submit'

const flag = (v: string | undefined) => v === 'true' || v === '1'

export function jobRoutes(d: AppDeps) {
  let app = new Elysia().get(
    '/api/dashboard/jobs',
    async ({ request, query }) => {
      const who = await d.identify(request)
      const userId = flag(query.all_users) ? undefined : who.id
      const limit = Math.min(Math.max(Math.floor(Number(query.limit ?? 500)) || 500, 1), 5000)
      const [jobs, total, in_progress] = await Promise.all([
        d.store.managedJobs.list({ userId, limit }),
        d.store.managedJobs.count({ userId }),
        d.store.managedJobs.inProgressCounts(userId),
      ])
      // Rounded to seconds, so an unchanged list keeps its ETag between polls.
      const now = Math.floor(Date.now() / 1000) * 1000
      return jsonWithEtag(request, { jobs: jobs.flatMap((j) => jobToWire(j, now)), total, in_progress })
    },
    { query: t.Object({ all_users: t.Optional(t.String()), limit: t.Optional(t.String()) }) },
  ) as unknown as Elysia
  for (const op of JOBS_OPS) {
    app = app.post(op.path, ({ body, request, set }) => submitOp(d, request, op.name, body as Record<string, unknown>, set), { body: op.body }) as unknown as Elysia
  }
  return app
}
