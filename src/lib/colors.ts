// ANSI colours for terminal output, off when stdout is not a terminal or NO_COLOR is set.
const useColor = () => !process.env.NO_COLOR && (process.env.FORCE_COLOR === '1' || process.stdout.isTTY === true)
const wrap = (code: string) => (s: string) => (useColor() ? `\x1b[${code}m${s}\x1b[0m` : s)

export const color = {
  bold: wrap('1'),
  dim: wrap('2'),
  red: wrap('31'),
  green: wrap('32'),
  yellow: wrap('33'),
  blue: wrap('34'),
  cyan: wrap('36'),
}
