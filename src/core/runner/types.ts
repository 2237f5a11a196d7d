// CommandRunner: run a shell command on one node with streamed output and an exit code, and move
// files there and back. Implementations: local process (local.ts), ssh2 (ssh.ts). Kubernetes exec
// comes with the Kubernetes provisioner.

export interface RunOptions {
  /** Extra environment for the command (merged over the node's login environment). */
  env?: Record<string, string>
  /** Working directory on the node; default: the node's home. */
  cwd?: string
  /** Aborting kills the command (its whole process group on the node). */
  signal?: AbortSignal
  /** Streamed output; when given, the chunk is not kept in RunResult. */
  onStdout?: (chunk: string) => void
  onStderr?: (chunk: string) => void
  /** Text written to the command's stdin, which is then closed. */
  stdin?: string
  timeoutMs?: number
}

export interface RunResult {
  /** Exit code; 128+N when killed by signal N; 124 on timeout. */
  code: number
  stdout: string
  stderr: string
}

export interface UploadOptions {
  /** Gitignore-style patterns to skip (directories only). */
  exclude?: string[]
}

export interface CommandRunner {
  /** Human-readable node name for messages, e.g. `local` or `ubuntu@10.0.0.5:22`. */
  readonly label: string
  /** Run `cmd` with `bash -c` on the node. Never throws for a non-zero exit; throws on transport failure. */
  run(cmd: string, opts?: RunOptions): Promise<RunResult>
  /** Copy a local file or directory (recursively) to `remotePath` on the node, creating parents. */
  upload(localPath: string, remotePath: string, opts?: UploadOptions): Promise<void>
  /** Copy a file from the node to this machine. */
  download(remotePath: string, localPath: string): Promise<void>
  close(): Promise<void>
}
