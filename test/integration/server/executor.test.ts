// The executor with a stand-in worker (test/fixtures/workers/late-ready.ts): a request cancelled
// while its worker thread is still starting never reaches the worker, and ends CANCELLED at once
// rather than running (and being killed after the hard-cancel delay).
import { afterEach, expect, test } from 'bun:test'
import type { RequestStatus } from '../../../src/core/state/requests'
import type { Store } from '../../../src/core/state/store'
import { Executor } from '../../../src/server/requests/executor'
import { waitFor } from '../../harness'

const WORKER = new URL('../../fixtures/workers/late-ready.ts', import.meta.url)
let ex: Executor | undefined
afterEach(async () => {
  await ex?.shutdown(0)
  ex = undefined
})

function executor() {
  const finals: [string, RequestStatus, unknown][] = []
  // Only what the executor writes when a request ends.
  const store = { requests: { finish: async (id: string, status: RequestStatus, result: unknown) => (finals.push([id, status, result]), true) } }
  ex = new Executor({
    store: store as unknown as Store,
    db: { kind: 'sqlite', path: ':memory:' },
    logDir: '/nonexistent',
    plugins: [],
    sizing: { long: 1, short: 1, shortConcurrency: 1 },
    onFinal: () => {},
    onCancelCluster: async () => [],
    workerUrl: WORKER,
  })
  return { ex, finals }
}

const user = { id: 'u1', name: 'alice', role: 'user' }

test('a request cancelled before its worker is ready never starts', async () => {
  const { ex, finals } = executor()
  ex.enqueue('long', { id: 'r1', name: 'test.op', body: {}, user, claimed: true })
  expect(ex.isRunningHere('r1')).toBe(true)
  ex.abort('r1')
  await waitFor(() => finals.length === 1, { what: 'r1 to end' })
  expect(finals[0]).toEqual(['r1', 'CANCELLED', null])
  // The lane is free again, and the worker does run what it is given.
  ex.enqueue('long', { id: 'r2', name: 'test.op', body: {}, user, claimed: true })
  await waitFor(() => finals.length === 2, { what: 'r2 to end' })
  expect(finals[1]).toEqual(['r2', 'SUCCEEDED', { ran: 'r2' }])
})
