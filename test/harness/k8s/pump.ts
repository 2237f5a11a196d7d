// Process output helpers shared by the kubelet and exec: read a stream chunk by chunk (awaiting
// the consumer, so a slow client slows the reader), and a signal-aware exit code.

export async function pump(stream: ReadableStream<Uint8Array>, each: (chunk: Uint8Array) => void | Promise<void>): Promise<void> {
  const reader = stream.getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) return
    await each(value)
  }
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGTERM: 15 }

/** The shell-style exit code of a finished process: 128 + signal number when it was killed. */
export function exitCodeOf(proc: Bun.Subprocess): number {
  const sig = proc.signalCode
  if (sig) return 128 + (typeof sig === 'number' ? sig : (SIGNALS[sig] ?? 1))
  return proc.exitCode ?? 1
}
