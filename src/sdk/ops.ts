// One function per server operation. Each returns the request id.
import type { SkyClient } from './client'

export interface StatusOptions {
  clusterNames?: string[]
  allUsers?: boolean
  refresh?: boolean
}

export function status(c: SkyClient, o: StatusOptions = {}): Promise<string> {
  return c.submit('/status', { cluster_names: o.clusterNames, all_users: o.allUsers, refresh: o.refresh })
}
