// A stored request as the wire shows it (`/api/get`, `/api/status`): SkyPilot's RequestPayload,
// times in seconds.
import { seconds, type RequestPayload } from '../../api/wire'
import type { RequestRecord } from '../../core/state/requests'

export type { RequestPayload }

export function encodeRequest(r: RequestRecord, withResult = true): RequestPayload {
  const out: RequestPayload = {
    request_id: r.requestId,
    name: r.name,
    status: r.status,
    user_id: r.userId,
    user_name: r.userName,
    cluster_name: r.clusterName,
    schedule_type: r.lane,
    created_at: seconds(r.createdAt),
    started_at: seconds(r.startedAt),
    finished_at: seconds(r.finishedAt),
    status_msg: r.statusMsg,
  }
  if (withResult) {
    out.return_value = r.result
    out.error = r.error
  } else if (r.error) out.error = r.error
  return out
}
