// Where CLI output goes: results (tables, JSON, ids) to stdout; progress and hints to stderr.
export function out(text = ''): void {
  process.stdout.write(text.endsWith('\n') ? text : text + '\n')
}

export function info(text: string): void {
  process.stderr.write(text.endsWith('\n') ? text : text + '\n')
}

export function printJson(value: unknown): void {
  out(JSON.stringify(value, null, 2))
}
