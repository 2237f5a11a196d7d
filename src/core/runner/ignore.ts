// Which files a workdir or file-mount sync skips. A `.skyignore` at the top of the source dir wins;
// without one, `.gitignore` files apply (the top-level one plus nested ones, each relative to its
// own directory) together with `.git/info/exclude`. Patterns follow gitignore: `#` comments, `!`
// negation, a trailing `/` for directories only, a `/` elsewhere anchors the pattern, and `**`
// spans directories. `.git` itself is always skipped. Extra patterns (UploadOptions.exclude) apply
// at the top level and take precedence over the files.
import type { Dirent } from 'node:fs'
import { lstat, readdir, readFile, readlink } from 'node:fs/promises'
import { join } from 'node:path'

export interface IgnoreRule {
  /** The pattern as written (after unescaping the leading `\`). */
  source: string
  negate: boolean
  dirOnly: boolean
  regex: RegExp
}

/** The rules of one ignore file, relative to `base` (a `/`-separated path under the root, '' for the root). */
export interface RuleSet {
  base: string
  rules: IgnoreRule[]
}

/** Compile one line of an ignore file; null for blank lines and comments. */
export function parseIgnoreLine(line: string): IgnoreRule | null {
  let text = line.replace(/\r$/, '')
  // Trailing spaces are dropped unless escaped with a backslash.
  text = text.replace(/(?<!\\)\s+$/, '')
  if (!text || text.startsWith('#')) return null
  let negate = false
  if (text.startsWith('!')) {
    negate = true
    text = text.slice(1)
  } else if (text.startsWith('\\!') || text.startsWith('\\#')) {
    text = text.slice(1)
  }
  let dirOnly = false
  if (text.endsWith('/') && !text.endsWith('\\/')) {
    dirOnly = true
    text = text.replace(/\/+$/, '')
  }
  if (!text) return null
  const anchored = text.includes('/')
  const body = text.replace(/^\/+/, '')
  if (!body) return null
  const prefix = anchored ? '' : '(?:.*/)?'
  return { source: text, negate, dirOnly, regex: new RegExp(`^${prefix}${globToRegex(body)}$`) }
}

export function parseIgnoreFile(text: string): IgnoreRule[] {
  return text.split('\n').flatMap((l) => parseIgnoreLine(l) ?? [])
}

/** Translate a gitignore glob (without anchoring slash) into a regex body matching a relative path. */
function globToRegex(glob: string): string {
  let out = ''
  let i = 0
  while (i < glob.length) {
    const atSegmentStart = i === 0 || glob[i - 1] === '/'
    if (atSegmentStart && glob.startsWith('**', i) && (i + 2 === glob.length || glob[i + 2] === '/')) {
      if (i + 2 === glob.length) {
        // `**` alone or a trailing `/**`: everything (inside).
        out += '.*'
        i += 2
        continue
      }
      out += '(?:.*/)?'
      i += 3
      continue
    }
    const c = glob[i]!
    if (c === '*') {
      out += '[^/]*'
      while (glob[i] === '*') i++
      continue
    }
    if (c === '?') {
      out += '[^/]'
      i++
      continue
    }
    if (c === '\\' && i + 1 < glob.length) {
      out += escapeRegex(glob[i + 1]!)
      i += 2
      continue
    }
    if (c === '[') {
      const cls = charClass(glob, i)
      if (cls) {
        out += cls.regex
        i = cls.end
        continue
      }
    }
    out += escapeRegex(c)
    i++
  }
  return out
}

function charClass(glob: string, start: number): { regex: string; end: number } | null {
  let i = start + 1
  let neg = false
  if (glob[i] === '!' || glob[i] === '^') {
    neg = true
    i++
  }
  let body = ''
  let first = true
  while (i < glob.length && (glob[i] !== ']' || first)) {
    const c = glob[i]!
    if (c === '\\' && i + 1 < glob.length) {
      body += '\\' + glob[i + 1]
      i += 2
    } else {
      body += c === '-' ? '-' : c === '^' || c === '[' || c === ']' ? '\\' + c : c
      i++
    }
    first = false
  }
  if (i >= glob.length) return null
  return { regex: `(?!/)[${neg ? '^' : ''}${body}]`, end: i + 1 }
}

function escapeRegex(c: string): string {
  return /[.*+?^${}()|[\]\\/]/.test(c) ? '\\' + c : c
}

/**
 * The verdict for one path (relative to the root, `/`-separated) from rule sets ordered from least
 * to most specific: the last matching rule wins. Parent directories are not consulted; the walker
 * never descends into an ignored directory, which gives gitignore's "cannot re-include a file whose
 * parent is excluded" rule.
 */
export function isIgnored(sets: RuleSet[], rel: string, isDir: boolean): boolean {
  let ignored = false
  for (const set of sets) {
    if (set.base && rel !== set.base && !rel.startsWith(set.base + '/')) continue
    const sub = set.base ? rel.slice(set.base.length + 1) : rel
    if (!sub) continue
    for (const rule of set.rules) {
      if (rule.dirOnly && !isDir) continue
      if (rule.regex.test(sub)) ignored = !rule.negate
    }
  }
  return ignored
}

export type SyncEntryKind = 'file' | 'dir' | 'symlink'

export interface SyncEntry {
  /** Path relative to the source dir, `/`-separated. */
  rel: string
  abs: string
  kind: SyncEntryKind
  /** Permission bits (st_mode & 0o7777). */
  mode: number
  size: number
  /** Target of a symlink, as stored in the link. */
  linkTarget?: string
}

export interface WalkOptions {
  /** Extra gitignore-style patterns, relative to the source dir. */
  exclude?: string[]
  /** Ignore `.skyignore`/`.gitignore` files (only `.git` and `exclude` apply). Default false. */
  noIgnoreFiles?: boolean
  /** Absolute paths never listed nor descended into (SKY_HOME: its database is never synced). */
  skipPaths?: string[]
}

async function readText(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8')
  } catch {
    return null
  }
}

/** The top-level rule sets of `root`: `.skyignore` if present, else `.gitignore` + `.git/info/exclude`. */
export async function rootRuleSets(root: string, opts: WalkOptions = {}): Promise<{ sets: RuleSet[]; useGitignore: boolean }> {
  const sets: RuleSet[] = []
  let useGitignore = false
  if (!opts.noIgnoreFiles) {
    const sky = await readText(join(root, '.skyignore'))
    if (sky !== null) {
      sets.push({ base: '', rules: parseIgnoreFile(sky) })
    } else {
      useGitignore = true
      const info = await readText(join(root, '.git', 'info', 'exclude'))
      if (info) sets.push({ base: '', rules: parseIgnoreFile(info) })
      const top = await readText(join(root, '.gitignore'))
      if (top) sets.push({ base: '', rules: parseIgnoreFile(top) })
    }
  }
  return { sets, useGitignore }
}

/**
 * Every entry under `root` that a sync copies, parents before children. Ignored directories are
 * not descended into. Symlinks are reported as links (not followed).
 */
export async function listSyncEntries(root: string, opts: WalkOptions = {}): Promise<SyncEntry[]> {
  const { sets, useGitignore } = await rootRuleSets(root, opts)
  const extra: RuleSet = { base: '', rules: (opts.exclude ?? []).flatMap((p) => parseIgnoreLine(p) ?? []) }
  const out: SyncEntry[] = []
  const skip = new Set(opts.skipPaths ?? [])

  const walk = async (dirAbs: string, dirRel: string, inherited: RuleSet[]): Promise<void> => {
    let entries: Dirent[]
    try {
      entries = await readdir(dirAbs, { withFileTypes: true })
    } catch (err) {
      // A directory that vanished or cannot be read while walking is skipped, not fatal.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return
      throw err
    }
    let scoped = inherited
    if (useGitignore && dirRel && entries.some((e) => e.name === '.gitignore' && e.isFile())) {
      const text = await readText(join(dirAbs, '.gitignore'))
      if (text) scoped = [...inherited, { base: dirRel, rules: parseIgnoreFile(text) }]
    }
    const all = [...scoped, extra]
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    const subdirs: Array<[string, string]> = []
    for (const e of entries) {
      if (e.name === '.git') continue
      const rel = dirRel ? `${dirRel}/${e.name}` : e.name
      const abs = join(dirAbs, e.name)
      const isDir = e.isDirectory()
      if (skip.has(abs) || isIgnored(all, rel, isDir)) continue
      if (!isDir && !e.isFile() && !e.isSymbolicLink()) continue // sockets, fifos, devices
      const st = await lstat(abs).catch(() => null)
      if (!st) continue
      const kind: SyncEntryKind = isDir ? 'dir' : e.isSymbolicLink() ? 'symlink' : 'file'
      const entry: SyncEntry = { rel, abs, kind, mode: st.mode & 0o7777, size: kind === 'file' ? st.size : 0 }
      if (kind === 'symlink') entry.linkTarget = await readlink(abs)
      out.push(entry)
      if (isDir) subdirs.push([abs, rel])
    }
    for (const [abs, rel] of subdirs) await walk(abs, rel, scoped)
  }

  await walk(root, '', sets)
  return out
}
