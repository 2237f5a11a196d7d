// Who may do what: the one place the server's access rules live. Routes check an operation's
// `access` with canCall; `sky status`, `sky api status` and the dashboard's lists take their
// filters from here; cluster, managed-job and service operations and request management check
// objects with canActOn* / canSeeRequest. A local (not deployed) server's only user is an admin.
import { PermissionDeniedError } from './errors'

export interface Principal {
  id: string
  name: string
  role?: string
}

export type Access = 'public' | 'user' | 'admin'

export const isAdmin = (p: Principal): boolean => p.role === 'admin'

/** Throws unless the caller may call an operation with this access level. */
export function checkCall(access: Access, p: Principal, what: string): void {
  if (access !== 'admin' || isAdmin(p)) return
  throw new PermissionDeniedError(`Only admins may call ${what}; you are '${p.name}' (role ${p.role ?? 'user'}).`)
}

/**
 * Which clusters a listing shows (`sky status`, the dashboard): the caller's own, or with
 * all_users everyone's. Any user may look at every cluster (as in SkyPilot); acting on one needs
 * canActOnCluster.
 */
export function clusterListFilter(p: Principal, o: { allUsers?: boolean }): { userId?: string } {
  return o.allUsers ? {} : { userId: p.id }
}

/** Owners and admins may act on a cluster (stop, down, exec, cancel its jobs...). */
export function canActOnCluster(c: { userId: string }, p: Principal): boolean {
  return c.userId === p.id || isAdmin(p)
}

export function checkActOnCluster(c: { name: string; userId: string; userName: string }, p: Principal): void {
  if (canActOnCluster(c, p)) return
  throw new PermissionDeniedError(`Cluster '${c.name}' belongs to user '${c.userName}'; only they or an admin may act on it.`)
}

/** Which requests a listing shows (`sky api status`, the dashboard): own, or with all_users everyone's. */
export function requestListFilter(p: Principal, o: { allUsers?: boolean }): { userId?: string } {
  return o.allUsers ? {} : { userId: p.id }
}

/** Owners and admins may read a request's result and log, and cancel it. */
export function canSeeRequest(r: { userId: string }, p: Principal): boolean {
  return r.userId === p.id || isAdmin(p)
}

export function checkSeeRequest(r: { requestId: string; userId: string; userName: string }, p: Principal): void {
  if (canSeeRequest(r, p)) return
  throw new PermissionDeniedError(`Request ${r.requestId.slice(0, 8)} belongs to user '${r.userName}'.`)
}

/** Cancelling everyone's requests (`sky api cancel -u`) touches only what the caller may cancel. */
export const canCancelRequest = canSeeRequest

/** Which managed jobs a listing shows (`sky jobs queue`, the dashboard): own, or with all_users everyone's. */
export function managedJobListFilter(p: Principal, o: { allUsers?: boolean }): { userId?: string } {
  return o.allUsers ? {} : { userId: p.id }
}

/** Owners and admins may cancel a managed job and read its logs. */
export function canActOnManagedJob(j: { userId: string }, p: Principal): boolean {
  return j.userId === p.id || isAdmin(p)
}

export function checkActOnManagedJobs(jobs: { jobId: number; userId: string; userName: string }[], p: Principal): void {
  const foreign = jobs.filter((j) => !canActOnManagedJob(j, p))
  if (!foreign.length) return
  throw new PermissionDeniedError(`Managed job ${foreign.map((j) => `${j.jobId} belongs to user '${j.userName}'`).join('; ')}; only they or an admin may act on it.`)
}

/** Cancelling every user's managed jobs (`sky jobs cancel -u`) is for admins. */
export function checkCancelAllManagedJobs(p: Principal): void {
  if (!isAdmin(p)) throw new PermissionDeniedError("Only an admin may cancel every user's managed jobs (-u).")
}

/**
 * Owners and admins may change a service: update it, take it (or a replica) down, manage its
 * tokens, read its logs. Any user may list every service (`sky serve status`, as in SkyPilot).
 */
export function canActOnService(s: { userId: string }, p: Principal): boolean {
  return s.userId === p.id || isAdmin(p)
}

export function checkActOnService(s: { name: string; userId: string; userName: string }, p: Principal): void {
  if (canActOnService(s, p)) return
  throw new PermissionDeniedError(`Service '${s.name}' belongs to user '${s.userName}'; only they or an admin may change it.`)
}
