// 830,000 finished requests in the state database (the figure that broke the previous server):
// `sky api status -a -l all` pages through every one of them with bounded memory, and once
// 100,000 of them pass the retention period the server deletes those in small batches off the
// request path while it keeps answering (requests are served between batches), then gives the
// space back (the file shrinks). The stall figure is in scripts/bench/retention.ts.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test'
import { Database } from 'bun:sqlite'
import { closeSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { openStore } from '../../src/core/state/store'
import { SKY_BIN, tempHome, waitFor, type TempHome } from '../harness'

const N = 830_000
/** Rows that finished two hours ago (past a one-hour retention); the rest finished just now. */
const OLD = 100_000
let h: TempHome
let db: string

beforeAll(async () => {
  h = await tempHome()
  db = join(h.dir, 'state.db')
  // The schema as the server makes it, then the rows straight into SQLite.
  const store = await openStore({ kind: 'sqlite', path: db })
  await store.close()
  const raw = new Database(db)
  const ins = raw.prepare(
    `INSERT INTO requests (request_id, name, user_id, user_name, status, lane, cluster_name, body, created_at, started_at, finished_at, attempts)
     VALUES (?, 'sky.status', 'abcd1234', 'tester', 'SUCCEEDED', 'short', NULL, '{}', ?, ?, ?, 1)`,
  )
  const old = Date.now() - 2 * 3600_000
  const recent = Date.now() - 60_000
  raw.transaction(() => {
    for (let i = 0; i < N; i++) {
      const t = (i < OLD ? old : recent) + i
      ins.run(crypto.randomUUID(), t, t, t + 1)
    }
  })()
  ins.finalize()
  raw.close(true)
  // The rows belong to this home's user.
  writeFileSync(join(h.dir, 'user_hash'), 'abcd1234')
}, 120_000)

afterAll(async () => {
  await h.cleanup()
})

const rowCount = () => {
  const r = new Database(db, { readonly: true })
  try {
    return (r.query('SELECT count(*) AS n FROM requests').get() as { n: number }).n
  } finally {
    r.close()
  }
}

describe('830k requests', () => {
  test('sky api status -a -l all lists every one', async () => {
    const started = await h.sky(['api', 'start'])
    expect(started.stderr).toContain('API server started')
    expect(started.code).toBe(0)
    const out = join(h.dir, 'all.txt')
    const fd = openSync(out, 'w')
    const p = Bun.spawn([SKY_BIN, 'api', 'status', '-a', '-l', 'all'], { env: h.env, stdout: fd, stderr: 'pipe' })
    const [code, err] = await Promise.all([p.exited, new Response(p.stderr).text()])
    closeSync(fd)
    expect(err).toBe('')
    expect(code).toBe(0)
    const text = readFileSync(out, 'utf8')
    let lines = 0
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) lines++
    // A header, every request, and the status request this listing made itself is not listed
    // (it is the listing); the status requests of `api start` are.
    expect(lines).toBeGreaterThanOrEqual(N + 1)
    expect(text.slice(0, 200)).toMatch(/^ID\s+User\s+Name\s+Created\s+Status/)
    expect(text).toContain('sky.status')
    expect((await h.sky(['api', 'stop'])).code).toBe(0)
  }, 240_000)

  test('past the retention they are deleted in small batches while the server answers, and the file shrinks', async () => {
    const before = statSync(db).size
    h.config('api_server:\n  requests_retention_hours: 1\n')
    expect((await h.sky(['api', 'start'])).code).toBe(0)
    // Health answers keep coming while the count goes down step by step.
    const seen = new Set<number>()
    let answered = 0
    await waitFor(
      async () => {
        const r = await fetch(`${h.endpoint}/api/health`)
        if (r.ok) answered++
        const n = rowCount()
        seen.add(n)
        return n <= N - OLD + 10
      },
      180_000,
      50,
    )
    const between = [...seen].filter((n) => n > N - OLD + 10 && n < N)
    expect(between.length).toBeGreaterThan(3)
    expect(answered).toBeGreaterThan(between.length)
    // The space is given back (incremental vacuum, WAL truncated).
    await waitFor(() => statSync(db).size < before * 0.92, 120_000, 200)
    expect(rowCount()).toBeGreaterThanOrEqual(N - OLD)
    expect((await h.fetch('/api/status?all_status=true')).status).toBe(200)
    expect((await h.sky(['status'])).code).toBe(0)
  }, 400_000)
})
