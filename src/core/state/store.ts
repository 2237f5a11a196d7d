// The state store: one Db plus the typed repositories over it. `openStore` picks the backend from
// the location (SQLite file under SKY_HOME by default; PostgreSQL for a team server).
import { configGet } from '../config'
import { paths } from '../paths'
import { ClusterRepo } from './clusters'
import type { Db, DbLocation } from './db'
import { KvRepo } from './kv'
import { LockRepo } from './locks'
import { LeaseRepo } from './leases'
import { ManagedJobRepo } from './managed-jobs'
import { migrate } from './migrations'
import { RequestRepo } from './requests'
import { ServiceRepo } from './services'
import { openSqlite } from './sqlite'
import { UserRepo } from './users'

export interface Store {
  db: Db
  location: DbLocation
  requests: RequestRepo
  clusters: ClusterRepo
  kv: KvRepo
  users: UserRepo
  locks: LockRepo
  managedJobs: ManagedJobRepo
  leases: LeaseRepo
  services: ServiceRepo
  close(): Promise<void>
}

/** Where the server's state lives: SKYPILOT_DB_CONNECTION_URI, then `db:` in config, then SQLite. */
export function defaultDbLocation(): DbLocation {
  const url = process.env.SKYPILOT_DB_CONNECTION_URI || configGet<string>('db')
  if (url && /^postgres(ql)?:\/\//.test(url)) return { kind: 'postgres', url }
  return { kind: 'sqlite', path: paths.stateDb() }
}

export async function openDb(loc: DbLocation, opts: { poolSize?: number } = {}): Promise<Db> {
  if (loc.kind === 'sqlite') return openSqlite(loc.path)
  const { openPostgres } = await import('./postgres')
  return openPostgres(loc.url, { max: opts.poolSize })
}

export async function openStore(loc: DbLocation = defaultDbLocation(), opts: { migrate?: boolean; poolSize?: number } = {}): Promise<Store> {
  const db = await openDb(loc, opts)
  if (opts.migrate !== false) await migrate(db)
  return {
    db,
    location: loc,
    requests: new RequestRepo(db),
    clusters: new ClusterRepo(db),
    kv: new KvRepo(db),
    users: new UserRepo(db),
    locks: new LockRepo(db),
    managedJobs: new ManagedJobRepo(db),
    leases: new LeaseRepo(db),
    services: new ServiceRepo(db),
    close: () => db.close(),
  }
}
