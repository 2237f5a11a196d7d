// `testing:` settings are honoured only in a test SKY_HOME and refused anywhere else.
import { afterEach, describe, expect, test } from 'bun:test'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { ValidationError } from '../../../src/core/errors'
import { TEST_HOME_MARKER, testSettings } from '../../../src/core/testing'
import { setEnv } from '../../harness'

let restore: (() => void) | undefined
let dir: string | undefined
afterEach(() => {
  restore?.()
  if (dir) rmSync(dir, { recursive: true, force: true })
})

function home(config: string, marker: boolean): void {
  dir = mkdtempSync(join(tmpdir(), 'sky-testing-'))
  writeFileSync(join(dir, 'config.yaml'), config)
  if (marker) writeFileSync(join(dir, TEST_HOME_MARKER), '')
  restore = setEnv({ SKY_HOME: dir })
}

describe('testing settings', () => {
  test('refused outside a test home, naming the key and the file', () => {
    home('testing:\n  agent_minute_ms: 300\n', false)
    const e = (() => {
      try {
        testSettings()
      } catch (err) {
        return err
      }
    })() as ValidationError
    expect(e).toBeInstanceOf(ValidationError)
    expect(e.issues[0]!.path).toBe('testing')
    expect(e.message).toContain(TEST_HOME_MARKER)
  })

  test('honoured in a test home; absent means none', () => {
    home('testing:\n  agent_minute_ms: 300\n', true)
    expect(testSettings()).toEqual({ agent_minute_ms: 300 })
    restore!()
    rmSync(dir!, { recursive: true, force: true })
    home('api_server:\n  status_refresh_seconds: 5\n', false)
    expect(testSettings()).toEqual({})
  })

  test('a bad value is refused', () => {
    home('testing:\n  agent_minute_ms: -1\n', true)
    expect(() => testSettings()).toThrow('testing.agent_minute_ms: must be greater than 0')
  })
})
