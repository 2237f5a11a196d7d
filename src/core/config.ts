// Layered configuration, as SkyPilot layers it: the user config (SKYPILOT_CONFIG, else
// $SKY_HOME/config.yaml), then the project's ./.sky.yaml (SKYPILOT_PROJECT_CONFIG overrides the
// path), then `--config KEY=VAL` / `--config file.yaml`. Each layer is checked against the schema
// (config-schema.ts) when it is read: errors name the file and the key; SkyPilot keys this build
// does not act on are collected as warnings. Read lazily, once per process.
//
// On the API server the project file is not read (the server's working directory is not the
// user's project): clients send their own layers with each request, and a request's handler sees
// them merged over the server's config (see config-scope.ts).
import { existsSync, readFileSync, statSync } from 'node:fs'
import { homedir } from 'node:os'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ValidationError, type FieldIssue } from './errors'
import { checkConfig, SERVER_ONLY_KEYS, withoutServerOnly } from './config-schema'
import { paths } from './paths'

export type ConfigTree = Record<string, unknown>

interface Layer {
  /** Where it came from, for messages: a file (with ~ for $HOME) or `--config`. */
  source: string
  tree: ConfigTree
}

let cached: { tree: ConfigTree; warnings: string[]; stamp: string } | undefined
const overrides: Layer[] = []
let role: 'client' | 'server' = 'client'
let scoped: (() => ConfigTree | undefined) | undefined

/** `~/...` for paths under $HOME (messages only). */
export function displayPath(file: string): string {
  const home = process.env.HOME || homedir()
  return home && file.startsWith(home + '/') ? '~' + file.slice(home.length) : file
}

function parseYamlText(text: string, source: string): ConfigTree {
  let doc: unknown
  try {
    doc = parse(text)
  } catch (e) {
    throw new ValidationError([{ path: source, message: `not valid YAML: ${(e as Error).message.split('\n')[0]}` }])
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new ValidationError([{ path: source, message: 'must be a YAML mapping of config keys' }])
  return doc as ConfigTree
}

function readYamlFile(file: string): ConfigTree {
  if (!existsSync(file)) return {}
  return parseYamlText(readFileSync(file, 'utf8'), displayPath(file))
}

/** Check one layer: throws on errors (naming the source and key); returns its unsupported-key warnings. */
export function validateLayer(tree: ConfigTree, source: string): string[] {
  const r = checkConfig(tree)
  if (r.issues.length) {
    const issues: FieldIssue[] = r.issues.map((i) => ({ ...i, path: `${source}: ${i.path}` }))
    throw new ValidationError(issues, { hint: 'The config keys sky reads are listed in the README (Configuration).' })
  }
  return r.unsupported.map((p) => `${source}: ${p} is not supported by this build of sky; it is ignored.`)
}

export function deepMerge(base: ConfigTree, over: ConfigTree): ConfigTree {
  const out: ConfigTree = { ...base }
  for (const [k, v] of Object.entries(over)) {
    const cur = out[k]
    if (v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur)) {
      out[k] = deepMerge(cur as ConfigTree, v as ConfigTree)
    } else out[k] = v
  }
  return out
}

/** Split `a=1,b.c=[x, y]` at the commas that separate KEY=VAL pairs (not inside brackets or quotes). */
function splitPairs(spec: string): string[] {
  const parts: string[] = []
  let depth = 0
  let quote = ''
  let cur = ''
  for (const ch of spec) {
    if (quote) {
      if (ch === quote) quote = ''
    } else if (ch === '"' || ch === "'") quote = ch
    else if (ch === '[' || ch === '{') depth++
    else if (ch === ']' || ch === '}') depth--
    else if (ch === ',' && depth === 0) {
      parts.push(cur)
      cur = ''
      continue
    }
    cur += ch
  }
  parts.push(cur)
  return parts.map((p) => p.trim()).filter(Boolean)
}

/**
 * One `--config` value: a YAML file, or `KEY=VAL` pairs (comma-separated; VAL read as YAML, so
 * `allowed_clouds=[aws, gcp]` is a list). `a.b.c=value` → {a:{b:{c:value}}}.
 */
export function parseConfigOverride(spec: string): ConfigTree {
  if (existsSync(spec) && statSync(spec).isFile()) return readYamlFile(spec)
  if (!spec.includes('=')) {
    throw new ValidationError([{ path: '--config', message: `'${spec}' is neither a config file that exists nor KEY=VALUE` }])
  }
  let tree: ConfigTree = {}
  for (const pair of splitPairs(spec)) {
    const eq = pair.indexOf('=')
    const key = eq < 0 ? '' : pair.slice(0, eq).trim()
    if (!key || key.split('.').some((p) => !p)) throw new ValidationError([{ path: '--config', message: `'${pair}': expected KEY=VALUE (e.g. kubernetes.provision_timeout=600)` }])
    const value = parseYamlText(`v: ${pair.slice(eq + 1)}`, '--config').v ?? null
    const nested = key
      .split('.')
      .reverse()
      .reduce<unknown>((acc, part) => ({ [part]: acc }), value) as ConfigTree
    tree = deepMerge(tree, nested)
  }
  return tree
}

/** Adds `--config` values (checked now); returns warnings for keys only the API server's own config sets. */
export function addConfigOverrides(specs: string[]): string[] {
  const notes: string[] = []
  for (const s of specs) {
    const tree = parseConfigOverride(s)
    validateLayer(tree, '--config')
    overrides.push({ source: '--config', tree })
    for (const k of SERVER_ONLY_KEYS) {
      if (k in tree && k !== 'api_server') notes.push(`--config ${k}: the API server reads ${k} from its own config file; a command cannot change it.`)
    }
  }
  cached = undefined
  return notes
}

/** Server processes (and their worker threads) read only their own config file, never ./.sky.yaml. */
export function setConfigRole(r: 'client' | 'server'): void {
  role = r
  cached = undefined
}

/** Installed by config-scope.ts: the config a running request sees (the server's, plus the client's). */
export function setConfigScope(fn: () => ConfigTree | undefined): void {
  scoped = fn
}

function files(): string[] {
  const out = [paths.config()]
  if (role === 'client') out.push(process.env.SKYPILOT_PROJECT_CONFIG || join(process.cwd(), '.sky.yaml'))
  return out
}

/** Which files, and their modification times: a long-running server picks up an edited config. */
function stampOf(list: string[]): string {
  return list
    .map((f) => {
      try {
        const st = statSync(f)
        return `${f}@${st.mtimeMs}:${st.size}`
      } catch {
        return `${f}@-`
      }
    })
    .join('|')
}

function load(): NonNullable<typeof cached> {
  const list = files()
  const stamp = stampOf(list)
  if (cached && cached.stamp === stamp) return cached
  const layers: Layer[] = list.map((f) => ({ source: displayPath(f), tree: readYamlFile(f) }))
  const warnings: string[] = []
  let tree: ConfigTree = {}
  for (const l of [...layers, ...overrides]) {
    warnings.push(...validateLayer(l.tree, l.source))
    tree = deepMerge(tree, l.tree)
  }
  cached = { tree, warnings, stamp }
  return cached
}

/** The merged config (inside a request on the server: with that request's client config). */
export function loadConfig(): ConfigTree {
  return scoped?.() ?? load().tree
}

/** This process's own config, without any request's client config. */
export function baseConfig(): ConfigTree {
  return load().tree
}

/** "X is not supported by this build" lines for the SkyPilot keys set in the config layers. */
export function configWarnings(): string[] {
  return load().warnings
}

/**
 * What a client sends with each request (`override_skypilot_config`): its merged layers without
 * the keys that belong to the server. Undefined when there is nothing to send.
 */
export function clientConfigOverride(): ConfigTree | undefined {
  const out: ConfigTree = withoutServerOnly(load().tree)
  return Object.keys(out).length ? out : undefined
}

/** Forget the cached config (after `sky api login` writes the file); `--config` values stay. */
export function resetConfig(): void {
  cached = undefined
}

export function configGet<T = unknown>(path: string, fallback?: T): T | undefined {
  let cur: unknown = loadConfig()
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return fallback
    cur = (cur as ConfigTree)[part]
  }
  return (cur === undefined || cur === null ? fallback : cur) as T | undefined
}
