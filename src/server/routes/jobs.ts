// Managed-jobs routes: one POST per operation in ops/jobs.ts (validated body → request id).
import { Elysia } from 'elysia'
import type { AppDeps } from '../context'
import { JOBS_OPS } from '../ops/jobs'
import { submitOp } from './submit'

export function jobRoutes(d: AppDeps) {
  let app = new Elysia()
  for (const op of JOBS_OPS) {
    app = app.post(op.path, ({ body, request, set }) => submitOp(d, request, op.name, body as Record<string, unknown>, set), { body: op.body }) as unknown as Elysia
  }
  return app
}
