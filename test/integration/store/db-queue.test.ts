// The replica queue (DbQueue) in-process on a real PostgreSQL, with a recording stand-in for the
// executor: claiming up to the executor's room, waking another replica by NOTIFY (polling is
// turned off to prove it), ignoring its own notes, taking over expired leases (re-run the
// idempotent, fail the rest naming the replica), and stopping work whose lease it lost.
import { afterEach, describe, expect, test } from 'bun:test'
import type { Lane, RequestStatus } from '../../../src/core/state/requests'
import type { Store } from '../../../src/core/state/store'
import type { OpMeta } from '../../../src/server/ops/types'
import { DbLogStore } from '../../../src/server/requests/db-log-store'
import { DbQueue } from '../../../src/server/requests/db-queue'
import type { Executor, Job } from '../../../src/server/requests/executor'
import { waitFor } from '../../harness'
import { newRequest, storeFixture } from './backends'

const OPS = new Map<string, OpMeta>([
  ['op.safe', { name: 'op.safe', lane: 'short', idempotent: true }],
  ['op.unsafe', { name: 'op.unsafe', lane: 'short', idempotent: false }],
])

/** What a DbQueue asks of the executor, recorded; `room` is its free capacity per lane. */
class FakeExecutor {
  room: Record<Lane, number> = { long: 0, short: 0 }
  jobs: Job[] = []
  running = new Set<string>()
  aborted: string[] = []
  dequeued: string[] = []
  /** How many times the queue found a lane full (it stops claiming then). */
  sawFull = 0
  freeCapacity(lane: Lane) {
    if (this.room[lane] <= 0) this.sawFull++
    return this.room[lane]
  }
  enqueue(lane: Lane, job: Job) {
    this.room[lane]--
    this.jobs.push(job)
    this.running.add(job.id)
  }
  dequeue(id: string) {
    this.dequeued.push(id)
    return false
  }
  abort(id: string) {
    this.aborted.push(id)
  }
  isRunningHere(id: string) {
    return this.running.has(id)
  }
  runningIds() {
    return [...this.running]
  }
}

interface Replica {
  id: string
  store: Store
  exec: FakeExecutor
  queue: DbQueue
  finals: [string, RequestStatus][]
}

describe('DbQueue on PostgreSQL', () => {
  const fx = storeFixture('postgres')
  const queues: DbQueue[] = []

  async function replica(url: string, id: string, leaseMs = 60_000): Promise<Replica> {
    const store = await fx.open({ kind: 'postgres', url })
    const exec = new FakeExecutor()
    const finals: [string, RequestStatus][] = []
    const queue = new DbQueue({
      store,
      executor: exec as unknown as Executor,
      ops: OPS,
      logs: new DbLogStore(store.db),
      replicaId: id,
      leaseMs,
      defaultRole: 'user',
      onFinal: (rid, st) => finals.push([rid, st]),
      watched: () => [],
      pollMs: 600_000,
    })
    queues.push(queue)
    return { id, store, exec, queue, finals }
  }

  async function stopAll() {
    for (const q of queues.splice(0)) await q.stop()
  }
  afterEach(stopAll)

  test('claims only as much as the executor has room for, oldest first', async () => {
    const { url } = (await fx.location()) as { url: string }
    const r = await replica(url, 'rep-1')
    const reqs = Array.from({ length: 5 }, () => newRequest({ name: 'op.safe', userRole: null }))
    for (const q of reqs) await r.store.requests.insert(q)
    r.exec.room.short = 2
    await r.queue.start()
    await waitFor(() => r.exec.jobs.length === 2)
    // The queue then found the lane full and stopped claiming.
    await waitFor(() => r.exec.sawFull > 0, { what: 'the queue to find the lane full' })
    expect(r.exec.jobs.map((j) => j.id)).toEqual([reqs[0]!.requestId, reqs[1]!.requestId])
    expect(r.exec.jobs[0]).toMatchObject({ name: 'op.safe', claimed: true, user: { id: 'u1', name: 'alice', role: 'user' } })
    // Room again: the rest are claimed without a poll.
    r.exec.room.short = 10
    r.queue.room('short')
    await waitFor(() => r.exec.jobs.length === 5)
    expect((await r.store.requests.list({ statuses: ['RUNNING'] })).length).toBe(5)
  })

  test('a submission on one replica wakes another by NOTIFY; notes from itself are ignored', async () => {
    const { url } = (await fx.location()) as { url: string }
    const a = await replica(url, 'rep-a')
    const b = await replica(url, 'rep-b')
    await a.queue.start()
    await b.queue.start()
    // A is full, so only B can take the request, and polling is off: only A's note wakes B.
    const q = newRequest({ name: 'op.safe' })
    await a.store.requests.insert(q)
    b.exec.room.short = 1
    a.queue.submitted('short')
    await waitFor(() => b.exec.jobs.length === 1, 5000)
    expect(b.exec.jobs[0]!.id).toBe(q.requestId)
    expect(a.exec.jobs).toEqual([])
    // Final and cancel notes reach the other replica only.
    b.queue.finished(q.requestId, 'SUCCEEDED')
    a.queue.cancelled('some-id')
    await waitFor(() => a.finals.length === 1 && b.exec.aborted.length === 1, 5000)
    // Barrier: a note each replica sends now reaches the other after its own earlier note reached
    // itself (PostgreSQL delivers notes to a session in commit order), so they had the chance to
    // (wrongly) act on their own notes.
    b.queue.finished('barrier-b', 'SUCCEEDED')
    a.queue.cancelled('barrier-a')
    await waitFor(() => a.finals.some(([id]) => id === 'barrier-b') && b.exec.aborted.includes('barrier-a'), { timeoutMs: 5000, what: 'the barrier notes' })
    a.finals.pop()
    b.exec.aborted.pop()
    b.exec.dequeued = b.exec.dequeued.filter((id) => id !== 'barrier-a')
    expect(a.finals).toEqual([[q.requestId, 'SUCCEEDED']])
    expect(b.finals).toEqual([])
    expect(b.exec.aborted).toEqual(['some-id'])
    expect(b.exec.dequeued).toEqual(['some-id'])
    expect(a.exec.aborted).toEqual([])
  })

  test('sweep re-runs an expired idempotent request and fails the other, naming the replica', async () => {
    const { url } = (await fx.location()) as { url: string }
    const r = await replica(url, 'rep-live')
    const safe = newRequest({ name: 'op.safe' })
    const unsafe = newRequest({ name: 'op.unsafe' })
    const alive = newRequest({ name: 'op.unsafe' })
    for (const q of [safe, unsafe, alive]) await r.store.requests.insert(q)
    await r.store.requests.claim('short', 'rep-dead', Date.now() - 1, 2)
    await r.store.requests.claim('short', 'rep-other', Date.now() + 60_000, 1)
    const out = await r.queue.sweep()
    expect(out).toEqual({ requeued: [safe.requestId], failed: [unsafe.requestId] })
    expect(await r.store.requests.get(safe.requestId)).toMatchObject({ status: 'PENDING', replicaId: null, statusMsg: 'Re-run: API server replica rep-dead stopped.' })
    const failed = (await r.store.requests.get(unsafe.requestId))!
    expect(failed.status).toBe('FAILED')
    expect(failed.error!.message).toContain('(rep-dead) stopped')
    expect(failed.error!.message).toContain("'op.unsafe' is not safe to repeat")
    expect(r.finals).toEqual([[unsafe.requestId, 'FAILED']])
    expect((await r.store.requests.get(alive.requestId))!.status).toBe('RUNNING')
    const logs = new DbLogStore(r.store.db)
    await waitFor(async () => (await logs.size(unsafe.requestId)) > 0 && (await logs.size(safe.requestId)) > 0)
    expect(new TextDecoder().decode((await logs.read(safe.requestId, 0)).data)).toContain('(rep-dead) stopped; re-running it.')
    // A second sweep finds nothing more to take over.
    expect(await r.queue.sweep()).toEqual({ requeued: [], failed: [] })
  })

  test('start takes over what this replica id ran before a restart; renew stops what it lost', async () => {
    const { url } = (await fx.location()) as { url: string }
    const first = await replica(url, 'rep-x', 400)
    const [safe, lost] = [newRequest({ name: 'op.safe' }), newRequest({ name: 'op.unsafe' })]
    for (const q of [safe, lost]) await first.store.requests.insert(q)
    first.exec.room.short = 2
    await first.queue.start()
    await waitFor(() => first.exec.jobs.length === 2)
    // Another replica cancels `lost`: at the next renewal this one stops running it.
    await first.store.requests.finish(lost.requestId, 'CANCELLED', null, null)
    await waitFor(() => first.exec.aborted.includes(lost.requestId), 3000)
    expect(first.exec.aborted).toEqual([lost.requestId])
    await stopAll()
    // The same replica id starting again (after a crash) re-runs what it held.
    await first.store.db.run(`UPDATE requests SET lease_until = ? WHERE request_id = ?`, [Date.now() + 60_000, safe.requestId])
    const again = await replica(url, 'rep-x', 400)
    again.exec.room.short = 1
    await again.queue.start()
    await waitFor(() => again.exec.jobs.length === 1, 3000)
    expect(again.exec.jobs[0]!.id).toBe(safe.requestId)
    expect((await again.store.requests.get(safe.requestId))!.attempts).toBe(2)
  })
  test('a submission that arrives before start() waits for it: start does not take back what was just claimed', async () => {
    const { url } = (await fx.location()) as { url: string }
    const r = await replica(url, 'rep-early')
    r.exec.room.short = 1
    const q = newRequest({ name: 'op.safe' })
    await r.store.requests.insert(q)
    // The server listens before the queue starts: a request can be submitted in between.
    r.queue.submitted('short')
    await r.queue.start()
    await waitFor(() => r.exec.jobs.length === 1, { what: 'the request to be claimed after start' })
    const row = (await r.store.requests.get(q.requestId))!
    expect(row).toMatchObject({ status: 'RUNNING', replicaId: 'rep-early', attempts: 1 })
    expect(row.statusMsg).toBeNull()
  })
})
