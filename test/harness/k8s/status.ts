// metav1.Status error objects, as the apiserver sends them (code, reason, message, details).

export interface StatusCause {
  reason: string
  message: string
  field?: string
}

export interface StatusDetails {
  name?: string
  group?: string
  kind?: string
  causes?: StatusCause[]
  retryAfterSeconds?: number
}

export class KubeError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: StatusDetails,
  ) {
    super(message)
  }

  toStatus(): Record<string, unknown> {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    }
  }
}

export const badRequest = (message: string) => new KubeError(400, 'BadRequest', message)
export const unauthorized = () => new KubeError(401, 'Unauthorized', 'Unauthorized')
export const notFound = (resource: string, name: string) => new KubeError(404, 'NotFound', `${resource} "${name}" not found`, { name, kind: resource })
export const pathNotFound = () => new KubeError(404, 'NotFound', 'the server could not find the requested resource', {})
export const methodNotAllowed = (method: string, resource: string) =>
  new KubeError(405, 'MethodNotAllowed', `the server does not allow this method on the requested resource (${method} ${resource})`, {})
export const alreadyExists = (resource: string, name: string) =>
  new KubeError(409, 'AlreadyExists', `${resource} "${name}" already exists`, { name, kind: resource })
export const conflict = (resource: string, name: string, why: string) =>
  new KubeError(409, 'Conflict', `Operation cannot be fulfilled on ${resource} "${name}": ${why}`, { name, kind: resource })
export const gone = (message: string) => new KubeError(410, 'Expired', message)
export const unsupportedMediaType = (type: string) => new KubeError(415, 'UnsupportedMediaType', `the body of the request was in an unknown format - accepted media types include: application/json, application/merge-patch+json, application/strategic-merge-patch+json (got ${type})`)
export const internal = (message: string) => new KubeError(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ reason: '', message }] })

/** 422 Invalid with one cause per bad field; the message lists them as the apiserver does. */
export function invalid(kind: string, name: string, causes: StatusCause[]): KubeError {
  const parts = causes.map((c) => `${c.field}: ${c.message}`)
  const list = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`
  return new KubeError(422, 'Invalid', `${kind} "${name}" is invalid: ${list}`, { name, kind, causes })
}

/** Successful exec status (the remotecommand status channel). */
export const execSuccess = () => ({ metadata: {}, status: 'Success' })

/** Exec status for a non-zero exit: clients read the code from details.causes[ExitCode]. */
export function execExit(code: number, command: string[]): Record<string, unknown> {
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  }
}

/** Exec status when the command could not run at all. */
export const execError = (message: string) => ({ metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 })
