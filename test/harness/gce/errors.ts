// Google's JSON error shape for the Compute test server:
//   { "error": { "code": 404, "message": "...", "errors": [{ "message", "domain", "reason" }], "details"?: [...] } }
// The client library turns it into a GoogleError (gRPC code from the HTTP status; `reason`,
// `domain` and `errorInfoMetadata` from a google.rpc.ErrorInfo detail when one is present).

export interface ErrorInfoDetail {
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo'
  reason: string
  domain: string
  metadata: Record<string, string>
}

export class GceHttpError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
    readonly domain = 'global',
    readonly details?: ErrorInfoDetail[],
  ) {
    super(message)
  }

  body(): unknown {
    return {
      error: {
        code: this.status,
        message: this.message,
        errors: [{ message: this.message, domain: this.domain, reason: this.reason }],
        ...(this.details ? { details: this.details } : {}),
      },
    }
  }
}

export const notFound = (resource: string) => new GceHttpError(404, 'notFound', `The resource '${resource}' was not found`)

export const alreadyExists = (resource: string) => new GceHttpError(409, 'alreadyExists', `The resource '${resource}' already exists`)

export const invalidField = (field: string, value: unknown, why: string) =>
  new GceHttpError(400, 'invalid', `Invalid value for field '${field}': '${typeof value === 'string' ? value : JSON.stringify(value)}'. ${why}`)

export const required = (field: string) => new GceHttpError(400, 'required', `Required field '${field}' not specified`)

export const unauthenticated = (missing: boolean) =>
  missing
    ? new GceHttpError(401, 'required', 'Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential.')
    : new GceHttpError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.')

export const forbidden = (permission: string, resource: string) =>
  new GceHttpError(403, 'forbidden', `Required '${permission}' permission for '${resource}'`)

export function quotaExceeded(metric: string, region: string | undefined): GceHttpError {
  const where = region ? `in region ${region}` : 'globally'
  return new GceHttpError(403, 'quotaExceeded', `Quota '${metric}' exceeded.  Limit: 0.0 ${where}.`, 'usageLimits', [
    {
      '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
      reason: 'QUOTA_EXCEEDED',
      domain: 'compute.googleapis.com',
      metadata: { quota_metric: metric, limit: '0', ...(region ? { region } : {}) },
    },
  ])
}

export const notImplemented = (method: string, path: string) =>
  new GceHttpError(501, 'notImplemented', `${method} ${path} is not implemented by the sky Compute Engine test server (test/harness/gce)`)
