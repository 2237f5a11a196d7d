// pods/exec, independent of the wire protocol: check the request (pod running, container,
// command, streams), run the command in the pod's sandbox as a local process, carry stdin,
// stdout and stderr, and produce the remotecommand status (Success, or Failure/NonZeroExitCode
// with the exit code in details.causes). With tty=true the command gets a pseudo-terminal.
import type { Cluster } from './cluster'
import { pickContainer } from './pod-logs'
import { exitCodeOf, pump } from './pump'
import { badRequest, execError, execExit, execSuccess } from './status'
import type { KubeObject } from './store'

export interface ExecParams {
  command: string[]
  container: string
  stdin: boolean
  stdout: boolean
  stderr: boolean
  tty: boolean
}

export interface ExecSink {
  stdout(data: Uint8Array): void | Promise<void>
  stderr(data: Uint8Array): void | Promise<void>
}

export interface ExecHandle {
  write(data: Uint8Array): void
  closeStdin(): void
  resize(cols: number, rows: number): void
  /** Resolves with the status once the command exited and its output was handed to the sink. */
  done: Promise<Record<string, unknown>>
}

const flag = (q: URLSearchParams, k: string) => q.get(k) === 'true' || q.get(k) === '1'

/** Validate an exec request; returns the pod and the parameters, or throws the apiserver's 400/404. */
export function execRequest(cluster: Cluster, ns: string, name: string, q: URLSearchParams): { pod: KubeObject; params: ExecParams } {
  const pod = cluster.store.mustGet('pods', ns, name)
  const command = q.getAll('command')
  if (!command.length) throw badRequest('you must specify at least 1 command')
  const params: ExecParams = { command, container: pickContainer(pod, q.get('container'), false), stdin: flag(q, 'stdin'), stdout: flag(q, 'stdout'), stderr: flag(q, 'stderr'), tty: flag(q, 'tty') }
  if (!params.stdin && !params.stdout && !params.stderr) throw badRequest('you must specify at least one of stdin, stdout, stderr')
  if (params.tty) params.stderr = false
  const phase = pod.status?.phase
  if (phase === 'Succeeded' || phase === 'Failed') throw badRequest(`cannot exec into a container in a completed pod; current phase is ${phase}`)
  if (!pod.spec.nodeName) throw badRequest(`pod ${name} does not have a host assigned`)
  const state = (pod.status?.containerStatuses ?? []).find((c: { name: string }) => c.name === params.container)?.state
  if (!state?.running) throw badRequest(`container ${params.container} is not valid for pod ${name}`)
  return { pod, params }
}

/** Start the command; the protocol layer feeds stdin and forwards output through `sink`. */
export function startExec(cluster: Cluster, pod: KubeObject, p: ExecParams, sink: ExecSink): ExecHandle {
  if (p.tty) return startTty(cluster, pod, p, sink)
  const run = cluster.kubelet.exec(pod, p.container, p.command)
  if (!run) {
    void sink.stderr(Buffer.from(`exec: "${p.command[0]}": executable file not found in $PATH\n`))
    return { write() {}, closeStdin() {}, resize() {}, done: Promise.resolve(execExit(127, p.command)) }
  }
  const { proc } = run
  if (!p.stdin) proc.stdin.end()
  let stdinOpen = p.stdin
  const done = Promise.all([pump(proc.stdout, (d) => (p.stdout ? sink.stdout(d) : undefined)), pump(proc.stderr, (d) => (p.stderr ? sink.stderr(d) : undefined)), proc.exited]).then(
    () => exitStatus(proc, p.command),
    (e) => execError(String(e)),
  )
  return {
    write(data) {
      if (!stdinOpen) return
      try {
        proc.stdin.write(data)
        proc.stdin.flush()
      } catch {}
    },
    closeStdin() {
      if (!stdinOpen) return
      stdinOpen = false
      try {
        proc.stdin.end()
      } catch {}
    },
    resize() {},
    done,
  }
}

function exitStatus(proc: Bun.Subprocess, command: string[]): Record<string, unknown> {
  const code = exitCodeOf(proc)
  return code === 0 ? execSuccess() : execExit(code, command)
}

/**
 * tty=true: run under a pseudo-terminal; stdout carries the terminal's output. The command starts
 * once the client sent its terminal size (kubectl sends it right after opening the streams), or
 * after a moment without one, so it starts at the client's size.
 */
function startTty(cluster: Cluster, pod: KubeObject, p: ExecParams, sink: ExecSink): ExecHandle {
  let size = { cols: 80, rows: 24 }
  let sized!: () => void
  const ready = new Promise<void>((resolve) => {
    sized = resolve
    setTimeout(resolve, 250)
  })
  let output = Promise.resolve()
  let terminal: Bun.Terminal | undefined
  let open = true
  const early: (Uint8Array | 'eof')[] = []
  const use = (fn: (t: Bun.Terminal) => void) => {
    if (!open || !terminal) return
    try {
      fn(terminal)
    } catch {
      open = false
    }
  }
  const done = ready.then(async () => {
    const run = cluster.kubelet.exec(pod, p.container, p.command, {
      ...size,
      data: (_t, d) => {
        const copy = Buffer.from(d)
        output = output.then(() => sink.stdout(copy))
      },
    })
    if (!run) return execExit(127, p.command)
    terminal = run.proc.terminal ?? undefined
    for (const e of early.splice(0)) use((t) => t.write(e === 'eof' ? '\x04' : e))
    await run.proc.exited
    await Bun.sleep(20) // the last output may still be in the terminal's buffer
    await output
    open = false
    terminal?.close()
    return exitStatus(run.proc, p.command)
  })
  return {
    write: (d) => (terminal ? use((t) => t.write(d)) : void early.push(Buffer.from(d))),
    closeStdin: () => (terminal ? use((t) => t.write('\x04')) : void early.push('eof')),
    resize: (cols, rows) => {
      if (terminal) return use((t) => t.resize(cols, rows))
      size = { cols, rows }
      sized()
    },
    done,
  }
}
