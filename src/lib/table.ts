// A small borderless table renderer in the style SkyPilot prints its tables: a header row, then
// one line per row, columns auto-sized and separated by a fixed gap. Cells may carry ANSI colour
// codes: widths are measured on the visible text only, so colours never break the alignment.

export type Align = 'left' | 'right'

export interface Column {
  header: string
  align?: Align
}

export interface TableOptions {
  /** Spaces between columns (default 2). */
  gap?: number
  /** Spaces before every line (default 0). */
  indent?: number
  /** Wrap header cells, e.g. in bold (applied after measuring). */
  headerStyle?: (text: string) => string
  /** Keep trailing spaces on each line (default: trimmed). */
  keepTrailing?: boolean
}

export type Cell = string | number | null | undefined

const ANSI = /\x1b\[[0-9;]*m/g

/** The text without ANSI colour codes. */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, '')
}

function isWide(cp: number): boolean {
  // East Asian wide / fullwidth ranges and the common emoji blocks take two terminal cells.
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1f64f) ||
    (cp >= 0x1f900 && cp <= 0x1f9ff)
  )
}

/** Terminal columns the text occupies (ANSI codes are zero-width; wide characters count 2). */
export function visibleWidth(text: string): number {
  const plain = stripAnsi(text)
  let w = 0
  for (const ch of plain) {
    const cp = ch.codePointAt(0) ?? 0
    if (cp === 0xfe0f || cp === 0x200d || (cp >= 0x300 && cp <= 0x36f)) continue
    w += isWide(cp) ? 2 : 1
  }
  return w
}

function pad(text: string, width: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, width - visibleWidth(text)))
  return align === 'right' ? fill + text : text + fill
}

function cellText(c: Cell): string {
  if (c === null || c === undefined) return ''
  return String(c)
}

/** Render a borderless table: header line, then rows. Returns lines joined by `\n` (no final newline). */
export function renderTable(columns: (string | Column)[], rows: Cell[][], opts: TableOptions = {}): string {
  const cols: Column[] = columns.map((c) => (typeof c === 'string' ? { header: c } : c))
  const gap = ' '.repeat(opts.gap ?? 2)
  const indent = ' '.repeat(opts.indent ?? 0)
  const texts = rows.map((r) => cols.map((_, i) => cellText(r[i])))
  const widths = cols.map((c, i) => Math.max(visibleWidth(c.header), ...texts.map((r) => visibleWidth(r[i]))))
  const line = (cells: string[], style?: (s: string) => string): string => {
    const out = cells.map((t, i) => {
      const padded = pad(t, widths[i], cols[i].align ?? 'left')
      return style ? style(padded) : padded
    })
    const s = indent + out.join(gap)
    return opts.keepTrailing ? s : s.replace(/\s+$/, '')
  }
  const lines = [line(cols.map((c) => c.header), opts.headerStyle)]
  for (const r of texts) lines.push(line(r))
  return lines.join('\n')
}
