// One error hierarchy for client, server and node agent. Every error has a stable `code`, the
// exit code the CLI uses, the HTTP status the server uses, and a wire form the SDK turns back
// into the same class, so server-side and client-side failures print the same way.

export type ErrorCode =
  | 'INTERNAL'
  | 'USAGE'
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'AMBIGUOUS'
  | 'CONFLICT'
  | 'RESOURCES_UNAVAILABLE'
  | 'PROVISION_FAILED'
  | 'COMMAND_FAILED'
  | 'JOB_FAILED'
  | 'SERVER_UNREACHABLE'
  | 'AUTH_REQUIRED'
  | 'PERMISSION_DENIED'
  | 'VERSION_MISMATCH'
  | 'CANCELLED'
  | 'INTERRUPTED'

/** One problem found in user input: where (a dotted field path), what was given, what is allowed. */
export interface FieldIssue {
  path: string
  message: string
  value?: unknown
}

export interface WireError {
  name: string
  code: ErrorCode
  message: string
  details?: Record<string, unknown>
  hint?: string
  exitCode?: number
}

export interface SkyErrorOptions {
  details?: Record<string, unknown>
  hint?: string
  cause?: unknown
}

export class SkyError extends Error {
  code: ErrorCode = 'INTERNAL'
  exitCode = 1
  httpStatus = 500
  details?: Record<string, unknown>
  hint?: string

  constructor(message: string, opts: SkyErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.details = opts.details
    this.hint = opts.hint
  }

  /** The class name, from the code: stable even where a minifier renames classes. */
  override get name(): string {
    return ERROR_NAMES[this.code]
  }

  toWire(): WireError {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.details ? { details: this.details } : {}),
      ...(this.hint ? { hint: this.hint } : {}),
      exitCode: this.exitCode,
    }
  }
}

const ERROR_NAMES: Record<ErrorCode, string> = {
  INTERNAL: 'InternalError',
  USAGE: 'UsageError',
  VALIDATION: 'ValidationError',
  NOT_FOUND: 'NotFoundError',
  AMBIGUOUS: 'AmbiguousError',
  CONFLICT: 'ConflictError',
  RESOURCES_UNAVAILABLE: 'ResourcesUnavailableError',
  PROVISION_FAILED: 'ProvisionError',
  COMMAND_FAILED: 'CommandError',
  JOB_FAILED: 'JobFailedError',
  SERVER_UNREACHABLE: 'ServerUnreachableError',
  AUTH_REQUIRED: 'AuthRequiredError',
  PERMISSION_DENIED: 'PermissionDeniedError',
  VERSION_MISMATCH: 'VersionMismatchError',
  CANCELLED: 'CancelledError',
  INTERRUPTED: 'InterruptedError',
}

export class InternalError extends SkyError {}

/** Bad flags or arguments. */
export class UsageError extends SkyError {
  override code: ErrorCode = 'USAGE'
  override exitCode = 2
  override httpStatus = 400
}

/** Bad user input (task YAML, request body, config): carries one issue per problem. */
export class ValidationError extends SkyError {
  override code: ErrorCode = 'VALIDATION'
  override exitCode = 2
  override httpStatus = 400
  issues: FieldIssue[]

  constructor(issues: FieldIssue[] | string, opts: SkyErrorOptions = {}) {
    const list = typeof issues === 'string' ? [{ path: '', message: issues }] : issues
    super(list.map(formatIssue).join('\n'), { ...opts, details: { ...opts.details, issues: list } })
    this.issues = list
  }
}

export function formatIssue(i: FieldIssue): string {
  return i.path ? `${i.path}: ${i.message}` : i.message
}

export class NotFoundError extends SkyError {
  override code: ErrorCode = 'NOT_FOUND'
  override exitCode = 4
  override httpStatus = 404
}

/** A request-id prefix or name that matches several objects. */
export class AmbiguousError extends SkyError {
  override code: ErrorCode = 'AMBIGUOUS'
  override exitCode = 2
  override httpStatus = 400
}

/** The operation conflicts with current state (cluster stopped, job finished...). */
export class ConflictError extends SkyError {
  override code: ErrorCode = 'CONFLICT'
  override exitCode = 2
  override httpStatus = 409
}

export class ResourcesUnavailableError extends SkyError {
  override code: ErrorCode = 'RESOURCES_UNAVAILABLE'
  override exitCode = 3
  override httpStatus = 409
}

export class ProvisionError extends SkyError {
  override code: ErrorCode = 'PROVISION_FAILED'
}

/** A command on a node exited non-zero; `details.returncode` holds its code. */
export class CommandError extends SkyError {
  override code: ErrorCode = 'COMMAND_FAILED'
}

/**
 * A job the client waited on did not succeed. The exit code is SkyPilot's JobExitCode (100 FAILED,
 * 101 NOT_FINISHED, 102 NOT_FOUND, 103 CANCELLED); the job's own exit code is in the message.
 */
export class JobFailedError extends SkyError {
  override code: ErrorCode = 'JOB_FAILED'
  constructor(message: string, jobExitCode: number, opts: SkyErrorOptions = {}) {
    super(message, { ...opts, details: { ...opts.details, jobExitCode } })
    this.exitCode = jobExitCode > 0 && jobExitCode < 256 ? jobExitCode : 1
  }
}

export class ServerUnreachableError extends SkyError {
  override code: ErrorCode = 'SERVER_UNREACHABLE'
  override exitCode = 5
  override httpStatus = 503
}

export class AuthRequiredError extends SkyError {
  override code: ErrorCode = 'AUTH_REQUIRED'
  override exitCode = 5
  override httpStatus = 401
}

export class PermissionDeniedError extends SkyError {
  override code: ErrorCode = 'PERMISSION_DENIED'
  override exitCode = 5
  override httpStatus = 403
}

export class VersionMismatchError extends SkyError {
  override code: ErrorCode = 'VERSION_MISMATCH'
  override exitCode = 5
  override httpStatus = 400
}

/** The request was cancelled (by `sky api cancel`, `sky down`, ...). */
export class CancelledError extends SkyError {
  override code: ErrorCode = 'CANCELLED'
  override exitCode = 130
  override httpStatus = 409
}

/** The user pressed Ctrl+C. */
export class InterruptedError extends SkyError {
  override code: ErrorCode = 'INTERRUPTED'
  override exitCode = 130
}

const byCode: Record<ErrorCode, new (message: string, opts?: SkyErrorOptions) => SkyError> = {
  INTERNAL: InternalError,
  USAGE: UsageError,
  VALIDATION: ValidationError as never,
  NOT_FOUND: NotFoundError,
  AMBIGUOUS: AmbiguousError,
  CONFLICT: ConflictError,
  RESOURCES_UNAVAILABLE: ResourcesUnavailableError,
  PROVISION_FAILED: ProvisionError,
  COMMAND_FAILED: CommandError,
  JOB_FAILED: JobFailedError as never,
  SERVER_UNREACHABLE: ServerUnreachableError,
  AUTH_REQUIRED: AuthRequiredError,
  PERMISSION_DENIED: PermissionDeniedError,
  VERSION_MISMATCH: VersionMismatchError,
  CANCELLED: CancelledError,
  INTERRUPTED: InterruptedError,
}

/** Rebuild the typed error from its wire form (used by the SDK and by worker threads). */
export function fromWire(w: WireError): SkyError {
  if (w.code === 'VALIDATION') {
    const issues = (w.details?.issues as FieldIssue[] | undefined) ?? [{ path: '', message: w.message }]
    return new ValidationError(issues, { hint: w.hint, details: w.details })
  }
  if (w.code === 'JOB_FAILED') {
    return new JobFailedError(w.message, Number(w.details?.jobExitCode ?? 1), { hint: w.hint, details: w.details })
  }
  const Cls = byCode[w.code] ?? InternalError
  const e = new Cls(w.message, { details: w.details, hint: w.hint })
  if (typeof w.exitCode === 'number' && w.code !== 'INTERNAL') e.exitCode = w.exitCode
  return e
}

/** Any thrown value as a SkyError (unknown errors become INTERNAL with their message). */
export function toSkyError(err: unknown): SkyError {
  if (err instanceof SkyError) return err
  if (err instanceof Error) {
    if (err.name === 'AbortError') return new CancelledError('Request was cancelled.')
    return new InternalError(err.message, { cause: err })
  }
  return new InternalError(String(err))
}
