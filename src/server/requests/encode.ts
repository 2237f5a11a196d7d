// The JSON shape of a request on the wire (`/api/get`, `/api/status`).
import type { RequestRecord } from '../../core/state/requests'

export interface RequestPayload {
  request_id: string
  name: string
  status: string
  user_id: string
  user_name: string
  cluster_name: string | null
  created_at: number
  started_at: number | null
  finished_at: number | null
  status_msg: string | null
  return_value?: unknown
  error?: unknown
}

export function encodeRequest(r: RequestRecord, withResult = true): RequestPayload {
  const out: RequestPayload = {
    request_id: r.requestId,
    name: r.name,
    status: r.status,
    user_id: r.userId,
    user_name: r.userName,
    cluster_name: r.clusterName,
    created_at: r.createdAt,
    started_at: r.startedAt,
    finished_at: r.finishedAt,
    status_msg: r.statusMsg,
  }
  if (withResult) {
    out.return_value = r.result
    out.error = r.error
  } else if (r.error) out.error = r.error
  return out
}
