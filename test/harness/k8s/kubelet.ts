// The kubelet of every node of one cluster: runs a bound pod's containers as local process groups
// in its sandbox, keeps their logs, restarts them per restartPolicy with back-off, reports the
// pod's status (phase, conditions, containerStatuses, podIP), runs exec'd commands beside them,
// and stops them with SIGTERM, the grace period, then SIGKILL.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { containerArgv, containerEnv, ContainerConfigError, DEFAULT_IMAGE, type ImageConfig } from './containers'
import { recordEvent } from './events'
import { ContainerLog } from './logs'
import { killTagged, removePodDir, runTagEnv, type Sandbox, type Sandboxes } from './sandbox'
import { exitCodeOf, pump } from './pump'
import { podStatus, type ContainerRun, type PodRun } from './pod-status'
import { now, type KubeObject, type Store } from './store'

export interface KubeletOptions {
  store: Store
  sandboxes: Sandboxes
  dir: string
  runId: string
  images: Record<string, ImageConfig>
  /** First restart back-off; doubles per restart up to 30 times this (the kubelet: 10 s to 5 min). */
  restartBackoffMs: number
  nodeIP(node: string): string
  /** A pod stopped using its node's resources (finished or deleted): the scheduler may retry. */
  onRelease(): void
}

export interface ExecProcess {
  proc: Bun.Subprocess<'pipe', 'pipe', 'pipe'>
  argv: string[]
}

const key = (p: KubeObject) => `${p.metadata.namespace}/${p.metadata.name}`

export class Kubelet {
  private readonly runs = new Map<string, PodRun>()

  constructor(private readonly o: KubeletOptions) {}

  running(pod: KubeObject): PodRun | undefined {
    const r = this.runs.get(key(pod))
    return r && r.uid === pod.metadata.uid ? r : undefined
  }

  /** Start a pod that was just bound to a node. */
  async start(pod: KubeObject): Promise<void> {
    const dir = join(this.o.dir, 'pods', `${pod.metadata.namespace}_${pod.metadata.name}_${pod.metadata.uid.slice(0, 8)}`)
    const run: PodRun = { uid: pod.metadata.uid, ns: pod.metadata.namespace!, name: pod.metadata.name, dir, containers: new Map(), init: [], execs: new Set(), stopping: false, startTime: now() }
    this.runs.set(key(pod), run)
    const node = pod.spec.nodeName as string
    try {
      run.sandbox = await this.o.sandboxes.create(dir, pod.metadata.name)
      mkdirSync(join(dir, 'logs'))
    } catch (e) {
      recordEvent(this.o.store, pod, 'Warning', 'FailedCreatePodSandBox', `Failed to create pod sandbox: ${(e as Error).message}`, { component: 'kubelet', host: node })
      run.sandboxError = (e as Error).message
      this.report(run)
      return
    }
    if (run.stopping) {
      run.sandbox.destroy()
      return
    }
    for (const c of pod.spec.initContainers ?? []) run.init.push(this.newContainer(run, c, true))
    for (const c of pod.spec.containers) run.containers.set(c.name, this.newContainer(run, c, false))
    this.advance(run)
  }

  private newContainer(run: PodRun, spec: Record<string, any>, init: boolean): ContainerRun {
    return { name: spec.name, spec, init, restartCount: 0, state: { waiting: { reason: init ? 'PodInitializing' : 'ContainerCreating' } }, lastState: {}, env: {}, log: undefined }
  }

  /** Start whatever should run next: the next init container, or every regular container. */
  private advance(run: PodRun): void {
    if (run.stopping) return
    const pending = run.init.find((c) => !('terminated' in c.state && c.state.terminated.exitCode === 0))
    if (pending) {
      if (!('running' in pending.state) && !pending.backoff) this.launch(run, pending)
    } else {
      for (const c of run.containers.values()) if ('waiting' in c.state && !c.backoff) this.launch(run, c)
    }
    this.report(run)
  }

  private pod(run: PodRun): KubeObject | undefined {
    const p = this.o.store.get('pods', run.ns, run.name)
    return p && p.metadata.uid === run.uid ? p : undefined
  }

  private launch(run: PodRun, c: ContainerRun): void {
    const pod = this.pod(run)
    if (!pod || !run.sandbox) return
    const image: ImageConfig = this.o.images[c.spec.image] ?? DEFAULT_IMAGE
    const node = pod.spec.nodeName as string
    const fieldPath = `spec.${c.init ? 'initContainers' : 'containers'}{${c.name}}`
    let argv: string[]
    try {
      c.env = containerEnv(this.o.store, { ...pod, status: { ...pod.status, podIP: run.sandbox.ip, hostIP: this.o.nodeIP(node) } }, c.spec, image)
      argv = containerArgv(c.spec, image, c.env)
    } catch (e) {
      if (!(e instanceof ContainerConfigError)) throw e
      c.state = { waiting: { reason: 'CreateContainerConfigError', message: e.message } }
      recordEvent(this.o.store, pod, 'Warning', 'Failed', `Error: ${e.message}`, { component: 'kubelet', host: node }, fieldPath)
      return
    }
    if (c.restartCount === 0) recordEvent(this.o.store, pod, 'Normal', 'Pulled', `Container image "${c.spec.image}" already present on machine`, { component: 'kubelet', host: node }, fieldPath)
    if (c.log) c.previousLog = c.log.path
    c.log = new ContainerLog(join(run.dir, 'logs', `${c.name}-${c.restartCount}.log`))
    const startedAt = now()
    const proc = this.spawn(run.sandbox, pod, argv, c.env, c.spec.workingDir ?? image.workingDir, 'ignore')
    if (!proc) {
      c.log.write('stderr', Buffer.from(`exec: "${argv[0]}": executable file not found in $PATH\n`))
      this.exited(run, c, 128, startedAt)
      return
    }
    c.proc = proc
    c.state = { running: { startedAt } }
    recordEvent(this.o.store, pod, 'Normal', 'Created', `Created container ${c.name}`, { component: 'kubelet', host: node }, fieldPath)
    recordEvent(this.o.store, pod, 'Normal', 'Started', `Started container ${c.name}`, { component: 'kubelet', host: node }, fieldPath)
    const log = c.log
    Promise.all([pump(proc.stdout as ReadableStream<Uint8Array>, (d) => log.write('stdout', d)), pump(proc.stderr as ReadableStream<Uint8Array>, (d) => log.write('stderr', d)), proc.exited]).then(
      () => this.exited(run, c, exitCodeOf(proc), startedAt),
      () => this.exited(run, c, 1, startedAt),
    )
  }

  /** Spawn a process in the pod's sandbox, in its own process group (or on a terminal). */
  private spawn(sb: Sandbox, pod: KubeObject, argv: string[], env: Record<string, string>, workingDir: string | undefined, stdin: 'ignore' | 'pipe', terminal?: Bun.TerminalOptions) {
    const cmd = sb.command(argv, workingDir)
    const fullEnv = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: pod.metadata.name, HOME: cmd.home, ...env, ...runTagEnv(this.o.runId, pod.metadata.uid.slice(0, 8)) }
    try {
      mkdirSync(cmd.cwd, { recursive: true })
      if (terminal) return Bun.spawn(cmd.argv, { cwd: cmd.cwd, env: { TERM: 'xterm', ...fullEnv }, terminal, detached: true })
      return Bun.spawn(cmd.argv, { cwd: cmd.cwd, env: fullEnv, stdin, stdout: 'pipe', stderr: 'pipe', detached: true })
    } catch {
      return undefined
    }
  }

  private exited(run: PodRun, c: ContainerRun, code: number, startedAt: string): void {
    c.log?.end()
    c.proc = undefined
    const terminated = { exitCode: code, reason: code === 0 ? 'Completed' : 'Error', startedAt, finishedAt: now(), containerID: `sky-test://${run.uid.slice(0, 8)}-${c.name}-${c.restartCount}` }
    c.state = { terminated }
    const pod = this.pod(run)
    if (run.stopping || !pod) return
    const policy = pod.spec.restartPolicy ?? 'Always'
    const restart = c.init ? code !== 0 && policy !== 'Never' : policy === 'Always' || (policy === 'OnFailure' && code !== 0)
    if (restart) {
      const delay = Math.min(this.o.restartBackoffMs * 2 ** c.restartCount, this.o.restartBackoffMs * 30)
      c.lastState = { terminated }
      c.state = { waiting: { reason: 'CrashLoopBackOff', message: `back-off ${Math.round(delay / 1000)}s restarting failed container=${c.name} pod=${run.name}_${run.ns}(${run.uid})` } }
      recordEvent(this.o.store, pod, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${run.name}_${run.ns}(${run.uid})`, { component: 'kubelet', host: pod.spec.nodeName })
      c.backoff = setTimeout(() => {
        c.backoff = undefined
        c.restartCount++
        c.state = { waiting: { reason: 'ContainerCreating' } }
        this.advance(run)
      }, delay)
    }
    this.advance(run)
    const phase = this.pod(run)?.status?.phase
    if (phase === 'Succeeded' || phase === 'Failed') this.o.onRelease()
  }

  /** Write the pod's status from what its containers are doing. */
  private report(run: PodRun): void {
    const pod = this.pod(run)
    if (!pod) return
    const status = podStatus(pod, run, this.o.nodeIP(pod.spec.nodeName))
    this.o.store.update('pods', run.ns, run.name, (p) => ({ ...p, status }))
  }

  /** Run a command in a running container (for exec). */
  exec(pod: KubeObject, container: string, argv: string[], terminal?: Bun.TerminalOptions): ExecProcess | undefined {
    const run = this.running(pod)
    const c = run?.containers.get(container)
    if (!run?.sandbox || !c) return undefined
    const proc = this.spawn(run.sandbox, pod, argv, c.env, c.spec.workingDir, 'pipe', terminal) as Bun.Subprocess<'pipe', 'pipe', 'pipe'> | undefined
    if (!proc) return undefined
    run.execs.add(proc)
    proc.exited.finally(() => run.execs.delete(proc))
    return { proc, argv }
  }

  /** Stop a pod: SIGTERM its process groups, SIGKILL after `graceSeconds`, remove its sandbox. */
  async stop(pod: KubeObject, graceSeconds: number): Promise<void> {
    const run = this.running(pod)
    if (!run) return
    run.stopping = true
    const procs = [...[...run.containers.values(), ...run.init].flatMap((c) => (c.proc ? [c.proc] : [])), ...run.execs]
    for (const c of [...run.containers.values(), ...run.init]) if (c.backoff) clearTimeout(c.backoff)
    if (procs.length && graceSeconds > 0) {
      recordEvent(this.o.store, pod, 'Normal', 'Killing', `Stopping container ${[...run.containers.keys()].join(', ')}`, { component: 'kubelet', host: pod.spec.nodeName })
      for (const p of procs) killGroup(p.pid, 'SIGTERM')
      const timer = new Promise((r) => setTimeout(r, graceSeconds * 1000))
      await Promise.race([Promise.all(procs.map((p) => p.exited)), timer])
    }
    for (const p of procs) killGroup(p.pid, 'SIGKILL')
    killTagged(`${this.o.runId}:${run.uid.slice(0, 8)}`)
    await Promise.all(procs.map((p) => p.exited))
    run.sandbox?.destroy()
    this.runs.delete(key(pod))
    removePodDir(run.dir)
    this.o.onRelease()
  }

  /** Kill everything at once (harness shutdown; synchronous so an exit hook can use it). */
  killAll(): void {
    const tags = [...this.runs.values()].map((r) => `${this.o.runId}:${r.uid.slice(0, 8)}`)
    for (const run of this.runs.values()) {
      run.stopping = true
      for (const c of [...run.containers.values(), ...run.init]) {
        if (c.backoff) clearTimeout(c.backoff)
        if (c.proc) killGroup(c.proc.pid, 'SIGKILL')
      }
      for (const p of run.execs) killGroup(p.pid, 'SIGKILL')
      run.sandbox?.destroy()
    }
    this.runs.clear()
    killTagged(...tags)
  }

  /** The log of a container: the current instance, or the previous one after a restart. */
  log(pod: KubeObject, container: string, previous: boolean): { log?: ContainerLog; path?: string } {
    const c = this.running(pod)?.containers.get(container) ?? this.running(pod)?.init.find((x) => x.name === container)
    if (!c) return {}
    return previous ? { path: c.previousLog } : { log: c.log }
  }
}

function killGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig)
  } catch {
    try {
      process.kill(pid, sig)
    } catch {}
  }
}
