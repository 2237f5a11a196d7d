// Errors the runners throw. Transport failures (cannot reach, cannot log in, connection lost) are
// ProvisionErrors; file-transfer failures on a reachable node are CommandErrors. Both name the node.
import { CommandError, ProvisionError, type SkyErrorOptions } from '../errors'

export type TransportReason =
  | 'refused'
  | 'timeout'
  | 'unreachable'
  | 'dns'
  | 'auth'
  | 'key'
  | 'closed'
  | 'protocol'
  | 'hostkey'

/** The node could not be reached or logged into, or the connection dropped. */
export class RunnerTransportError extends ProvisionError {
  readonly reason: TransportReason
  readonly host: string

  constructor(host: string, reason: TransportReason, message: string, opts: SkyErrorOptions = {}) {
    super(`${host}: ${message}`, { ...opts, details: { ...opts.details, host, reason } })
    this.host = host
    this.reason = reason
  }
}

/** Copying a file to or from a reachable node failed (missing source, permission, disk full). */
export class RunnerFileError extends CommandError {
  readonly host: string

  constructor(host: string, message: string, opts: SkyErrorOptions = {}) {
    super(`${host}: ${message}`, { ...opts, details: { ...opts.details, host } })
    this.host = host
  }
}
