// Periodic server work. Status refresh: clusters with autostop set are asked (through a
// system-owned `sky.status` request in the SHORT lane) whether autostop fired, so `sky status`
// shows STOPPED or drops autodowned clusters without --refresh. Costs nothing when no cluster
// has autostop.
import { configGet } from '../core/config'
import type { Store } from '../core/state/store'
import type { RequestService } from './requests/service'

export const SYSTEM_USER = { id: 'skypilot-system', name: 'skypilot-system', role: 'admin' }

export function startStatusRefresh(store: Store, svc: RequestService): () => void {
  const every = Number(configGet('api_server.status_refresh_seconds', 30)) * 1000
  let busy = false
  const tick = async () => {
    if (busy) return
    busy = true
    try {
      const rows = await store.db.all<{ name: string }>(`SELECT name FROM clusters WHERE status = 'UP' AND autostop_minutes >= 0`)
      if (rows.length) await svc.submit('sky.status', { cluster_names: rows.map((r) => r.name), all_users: true, refresh: true }, SYSTEM_USER)
    } catch {
      // Next tick tries again.
    } finally {
      busy = false
    }
  }
  const t = setInterval(() => void tick(), Math.max(every, 1000))
  t.unref?.()
  return () => clearInterval(t)
}
