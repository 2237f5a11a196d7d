import { afterAll, describe, expect, test } from 'bun:test'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { isIgnored, listSyncEntries, parseIgnoreFile, parseIgnoreLine, type RuleSet } from '../../../src/core/runner/ignore.ts'

const ignored = (patterns: string, rel: string, isDir = false) => isIgnored([{ base: '', rules: parseIgnoreFile(patterns) }], rel, isDir)

describe('gitignore pattern semantics', () => {
  test('blank lines, comments and escapes', () => {
    expect(parseIgnoreLine('')).toBeNull()
    expect(parseIgnoreLine('   ')).toBeNull()
    expect(parseIgnoreLine('# comment')).toBeNull()
    expect(ignored('\\#hash', '#hash')).toBe(true)
    expect(ignored('\\!bang', '!bang')).toBe(true)
    expect(ignored('trailing   ', 'trailing')).toBe(true)
    expect(ignored('sp\\ ', 'sp ')).toBe(true)
  })

  test('unanchored names match at any depth', () => {
    expect(ignored('*.log', 'a.log')).toBe(true)
    expect(ignored('*.log', 'deep/dir/a.log')).toBe(true)
    expect(ignored('*.log', 'a.log.txt')).toBe(false)
    expect(ignored('cache', 'x/cache', true)).toBe(true)
    expect(ignored('?.txt', 'a.txt')).toBe(true)
    expect(ignored('?.txt', 'ab.txt')).toBe(false)
  })

  test('a slash anchors the pattern to the ignore file directory', () => {
    expect(ignored('/build', 'build', true)).toBe(true)
    expect(ignored('/build', 'src/build', true)).toBe(false)
    expect(ignored('doc/frotz', 'doc/frotz')).toBe(true)
    expect(ignored('doc/frotz', 'a/doc/frotz')).toBe(false)
    expect(ignored('doc/*.md', 'doc/a.md')).toBe(true)
    expect(ignored('doc/*.md', 'doc/sub/a.md')).toBe(false)
  })

  test('a trailing slash matches directories only', () => {
    expect(ignored('out/', 'out', true)).toBe(true)
    expect(ignored('out/', 'out', false)).toBe(false)
    expect(ignored('out/', 'a/out', true)).toBe(true)
  })

  test('** spans directories', () => {
    expect(ignored('**/foo', 'foo')).toBe(true)
    expect(ignored('**/foo', 'a/b/foo')).toBe(true)
    expect(ignored('**/foo/bar', 'x/foo/bar')).toBe(true)
    expect(ignored('abc/**', 'abc/x')).toBe(true)
    expect(ignored('abc/**', 'abc/x/y')).toBe(true)
    expect(ignored('abc/**', 'abc', true)).toBe(false)
    expect(ignored('a/**/b', 'a/b')).toBe(true)
    expect(ignored('a/**/b', 'a/x/y/b')).toBe(true)
    expect(ignored('a/**/b', 'x/a/b')).toBe(false)
  })

  test('character classes', () => {
    expect(ignored('file[0-9].txt', 'file3.txt')).toBe(true)
    expect(ignored('file[0-9].txt', 'filex.txt')).toBe(false)
    expect(ignored('file[!0-9].txt', 'filex.txt')).toBe(true)
    expect(ignored('file[!0-9].txt', 'file3.txt')).toBe(false)
    expect(ignored('[', '[')).toBe(true)
  })

  test('negation: the last matching pattern wins', () => {
    expect(ignored('*.log\n!keep.log', 'keep.log')).toBe(false)
    expect(ignored('*.log\n!keep.log', 'other.log')).toBe(true)
    expect(ignored('!keep.log\n*.log', 'keep.log')).toBe(true)
  })

  test('nested rule sets apply relative to their directory and override parents', () => {
    const sets: RuleSet[] = [
      { base: '', rules: parseIgnoreFile('*.tmp\n') },
      { base: 'pkg', rules: parseIgnoreFile('/dist\n!important.tmp\n') },
    ]
    expect(isIgnored(sets, 'pkg/dist', true)).toBe(true)
    expect(isIgnored(sets, 'dist', true)).toBe(false)
    expect(isIgnored(sets, 'pkg/sub/dist', true)).toBe(false)
    expect(isIgnored(sets, 'pkg/important.tmp', false)).toBe(false)
    expect(isIgnored(sets, 'important.tmp', false)).toBe(true)
  })
})

describe('listSyncEntries', () => {
  const root = mkdtempSync(join(tmpdir(), 'sky-ignore-'))
  afterAll(() => rmSync(root, { recursive: true, force: true }))
  const put = (rel: string, text = '') => {
    mkdirSync(dirname(join(root, rel)), { recursive: true })
    writeFileSync(join(root, rel), text)
  }
  const rels = async (dir: string, exclude?: string[]) => (await listSyncEntries(join(root, dir), { exclude })).map((e) => e.rel).sort()

  test('a file under an ignored directory cannot be re-included', async () => {
    put('g1/.gitignore', 'logs/\n!logs/keep.txt\n')
    put('g1/logs/keep.txt')
    put('g1/a.txt')
    expect(await rels('g1')).toEqual(['.gitignore', 'a.txt'])
  })

  test('.git is always skipped, also with .skyignore', async () => {
    put('g2/.git/HEAD')
    put('g2/.skyignore', '*.bin\n')
    put('g2/.gitignore', 'a.txt\n')
    put('g2/a.txt')
    put('g2/b.bin')
    put('g2/sub/.gitignore', 'c.txt\n')
    put('g2/sub/c.txt')
    expect(await rels('g2')).toEqual(['.gitignore', '.skyignore', 'a.txt', 'sub', 'sub/.gitignore', 'sub/c.txt'])
  })

  test('.git/info/exclude and nested .gitignore apply when there is no .skyignore', async () => {
    put('g3/.git/info/exclude', 'secret\n')
    put('g3/secret')
    put('g3/sub/.gitignore', '*.o\n')
    put('g3/sub/x.o')
    put('g3/x.o')
    put('g3/sub/deeper/y.o')
    expect(await rels('g3')).toEqual(['sub', 'sub/.gitignore', 'sub/deeper', 'x.o'])
  })

  test('extra exclude patterns win over the files', async () => {
    put('g4/.gitignore', '!*.ckpt\n')
    put('g4/model.ckpt')
    put('g4/data/x.csv')
    expect(await rels('g4', ['*.ckpt', 'data/'])).toEqual(['.gitignore'])
  })
})
