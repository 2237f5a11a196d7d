// Layered configuration: ~/.sky/config.yaml (or SKYPILOT_CONFIG), then ./.sky.yaml in the working
// directory, then `--config KEY=VAL` / `--config file.yaml` overrides. Read lazily, once.
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { parse } from 'yaml'
import { ValidationError } from './errors'
import { paths } from './paths'

export type ConfigTree = Record<string, unknown>

let cached: ConfigTree | undefined
const overrides: ConfigTree[] = []

function readYamlFile(file: string): ConfigTree {
  if (!existsSync(file)) return {}
  let doc: unknown
  try {
    doc = parse(readFileSync(file, 'utf8'))
  } catch (e) {
    throw new ValidationError([{ path: file, message: `not valid YAML: ${(e as Error).message.split('\n')[0]}` }])
  }
  if (doc === null || doc === undefined) return {}
  if (typeof doc !== 'object' || Array.isArray(doc)) {
    throw new ValidationError([{ path: file, message: 'must be a YAML mapping of config keys' }])
  }
  return doc as ConfigTree
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

/** `a.b.c=value` → {a:{b:{c:value}}}; value parsed as YAML scalar. */
export function parseConfigOverride(spec: string): ConfigTree {
  if (!spec.includes('=')) return readYamlFile(spec)
  const eq = spec.indexOf('=')
  const key = spec.slice(0, eq).trim()
  if (!key) throw new ValidationError([{ path: '--config', message: `'${spec}' — expected KEY=VALUE or a YAML file path` }])
  const value = parse(spec.slice(eq + 1))
  return key
    .split('.')
    .reverse()
    .reduce<unknown>((acc, part) => ({ [part]: acc }), value) as ConfigTree
}

export function addConfigOverrides(specs: string[]): void {
  for (const s of specs) overrides.push(parseConfigOverride(s))
  cached = undefined
}

export function loadConfig(): ConfigTree {
  if (cached) return cached
  let cfg = readYamlFile(paths.config())
  cfg = deepMerge(cfg, readYamlFile(join(process.cwd(), '.sky.yaml')))
  for (const o of overrides) cfg = deepMerge(cfg, o)
  cached = cfg
  return cfg
}

/** Forget the cached config (after `sky api login` writes the file, or in tests). */
export function resetConfig(): void {
  cached = undefined
  overrides.length = 0
}

export function configGet<T = unknown>(path: string, fallback?: T): T | undefined {
  let cur: unknown = loadConfig()
  for (const part of path.split('.')) {
    if (!cur || typeof cur !== 'object') return fallback
    cur = (cur as ConfigTree)[part]
  }
  return (cur === undefined ? fallback : cur) as T | undefined
}
