// Service operations (run in worker threads): thin adapters from the request context to
// src/core/serve (service-ops.ts, service-logs.ts).
import { SERVE_KIND, serveDown, serveStatus, serveUp, serveUpdate, type ServeCtx } from '../../../core/serve/service-ops'
import { serveLogs, tokenCreate as createTok, tokenList as listTok, tokenRevoke as revokeTok, type ServeLogsBody } from '../../../core/serve/service-logs'
import type { OpContext } from '../types'

const ctx = (c: OpContext): ServeCtx => ({
  store: c.store,
  user: c.user,
  requestId: c.requestId,
  signal: c.signal,
  log: c.log,
  wake: (name, o) => c.wakeController(SERVE_KIND, name, o),
})

export const up = (c: OpContext, b: Parameters<typeof serveUp>[1]) => serveUp(ctx(c), b)
export const update = (c: OpContext, b: Parameters<typeof serveUpdate>[1]) => serveUpdate(ctx(c), b)
export const status = (c: OpContext, b: { service_names?: string[] }) => serveStatus(c.store, b.service_names)
export const down = (c: OpContext, b: Parameters<typeof serveDown>[1]) => serveDown(ctx(c), b)
export const logs = (c: OpContext, b: ServeLogsBody) => serveLogs(ctx(c), b, c.write)
export const tokenCreate = (c: OpContext, b: Parameters<typeof createTok>[1]) => createTok(ctx(c), b)
export const tokenList = (c: OpContext, b: Parameters<typeof listTok>[1]) => listTok(ctx(c), b)
export const tokenRevoke = (c: OpContext, b: Parameters<typeof revokeTok>[1]) => revokeTok(ctx(c), b)
