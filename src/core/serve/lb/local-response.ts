// Responses the load balancer writes itself (401, 503 "No ready replicas.", 502, 504...): JSON
// bodies `{"detail": ...}` as SkyPilot's FastAPI load balancer answers.

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  505: 'HTTP Version Not Supported',
}

export function localResponse(status: number, message: string, close: boolean, extraHeaders = ''): Buffer {
  const body = JSON.stringify({ detail: message })
  return Buffer.from(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Error'}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${extraHeaders}${close ? 'connection: close\r\n' : ''}\r\n${body}`,
  )
}
