// Store fixtures shared by the store suites: the same cases run against SQLite (a file in a
// temporary directory) and a real PostgreSQL (started once per test file by the harness). Every
// `fresh()` store is a new, empty database; everything opened is closed after each test.
import { afterAll, afterEach, beforeAll } from 'bun:test'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { DbLocation } from '../../../src/core/state/db'
import type { NewRequest } from '../../../src/core/state/requests'
import { openStore, type Store } from '../../../src/core/state/store'
import { startPostgres, type PgServer } from '../../harness/postgres'

export type Backend = 'sqlite' | 'postgres'
export const BACKENDS: Backend[] = ['sqlite', 'postgres']

export interface StoreFixture {
  /** A new empty database of this backend (not opened). */
  location(): Promise<DbLocation>
  /** Open (and by default migrate) a store; closed after the test. */
  open(loc: DbLocation, o?: { migrate?: boolean; poolSize?: number }): Promise<Store>
  /** A migrated store on a new empty database. */
  fresh(): Promise<Store>
}

/** Register hooks in the current describe block and return its store factory. */
export function storeFixture(kind: Backend): StoreFixture {
  let pg: PgServer | undefined
  let dir = ''
  let n = 0
  const opened: Store[] = []
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sky-store-'))
    if (kind === 'postgres') pg = await startPostgres()
  })
  afterEach(async () => {
    for (const s of opened.splice(0)) await s.close().catch(() => {})
  })
  afterAll(async () => {
    await pg?.stop()
    rmSync(dir, { recursive: true, force: true })
  })
  const f: StoreFixture = {
    async location() {
      if (kind === 'sqlite') return { kind: 'sqlite', path: join(dir, `state-${++n}.db`) }
      return { kind: 'postgres', url: await pg!.database() }
    },
    async open(loc, o) {
      const s = await openStore(loc, o)
      opened.push(s)
      return s
    },
    async fresh() {
      return f.open(await f.location())
    },
  }
  return f
}

let seq = 0

/** A PENDING request row; `createdAt` increases with every call so ordering is predictable. */
export function newRequest(over: Partial<NewRequest> = {}): NewRequest {
  seq++
  return {
    requestId: over.requestId ?? `${seq.toString(16).padStart(8, '0')}-${crypto.randomUUID().slice(9)}`,
    name: 'test.echo',
    userId: 'u1',
    userName: 'alice',
    status: 'PENDING',
    lane: 'short',
    clusterName: null,
    body: { n: seq },
    createdAt: 1_700_000_000_000 + seq,
    ...over,
  }
}
