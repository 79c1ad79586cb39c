import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { formatFileError } from '../../src/core/file-errors.js'
import { DeviceRegistry } from '../../src/devices/registry.js'
import { loadRegistry } from '../../src/devices/registry-load.js'

const types = new Set(['fan', 'climate-sensor'])
let dirs: string[] = []
afterEach(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true })
  dirs = []
})

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'tidegate-reg-'))
  dirs.push(dir)
  const path = join(dir, 'registry.yaml')
  writeFileSync(path, text)
  return path
}

describe('registry file', () => {
  it('loads entries with tags; bad entries are reported at file:line:col and left out', () => {
    const path = file(`version: 1
devices:
  - { id: f1, type: fan, tags: { zone: south } }
  - { id: f2, type: pump }
  - { id: f3, type: fan, colour: red }
  - { id: f1, type: fan }
  - { id: "a/b", type: fan }
  - { id: c1, type: climate-sensor }
`)
    const { entries, errors } = loadRegistry(path, types)
    expect(entries.map((e) => [e.id, e.tags])).toEqual([
      ['f1', { zone: 'south' }],
      ['c1', {}],
    ])
    expect(errors.map((e) => formatFileError(e).replace(path, 'R'))).toEqual([
      'R:4:21 TG_REGISTRY_UNKNOWN_TYPE /devices/1/type: unknown device type "pump" (known: fan, climate-sensor)',
      'R:5:34 TG_REGISTRY_UNKNOWN_KEY /devices/2: unknown key "colour"',
      'R:6:11 TG_REGISTRY_DUPLICATE_ID /devices/3/id: device "f1" is already registered at /devices/0',
      'R:7:11 TG_REGISTRY_INVALID /devices/4/id: must match pattern "^[^/+#\\s]+$"',
    ])
  })

  it('a missing default file is an empty registry; a missing named file is an error', () => {
    expect(loadRegistry('/nonexistent/registry.yaml', types)).toEqual({ entries: [], errors: [] })
    expect(loadRegistry('/nonexistent/registry.yaml', types, { required: true }).errors[0]?.message).toBe(
      'registry file not found',
    )
  })

  it('YAML syntax errors and a wrong top level are located', () => {
    const broken = loadRegistry(file('devices: [ { id: a\n'), types)
    expect(broken.entries).toEqual([])
    expect(broken.errors[0]?.line).toBeGreaterThan(0)
    const wrong = loadRegistry(file('version: 1\ndevice: []\n'), types)
    expect(wrong.errors.map((e) => e.message)).toEqual(['unknown key "device"'])
  })
})

describe('DeviceRegistry', () => {
  it('keeps a bounded, most-recently-seen-first list of unregistered devices and admits per allowUnknown', () => {
    let t = 0
    const reg = new DeviceRegistry([{ id: 'f1', type: 'fan', tags: { zone: 's' } }], {
      allowUnknown: false,
      unregisteredListSize: 2,
      now: () => ++t,
    })
    expect(reg.admit('f1', 'fan', 'x')).toBe(true)
    expect(reg.admit('u1', 'fan', 'devices/u1/state')).toBe(false)
    expect(reg.admit('u2', 'fan', 'x')).toBe(false)
    expect(reg.admit('u1', 'fan', 'x')).toBe(false)
    expect(reg.admit('u3', 'fan', 'x')).toBe(false) // full: u1, the first seen, is forgotten
    expect(reg.unregistered().map((u) => [u.id, u.messages])).toEqual([
      ['u3', 1],
      ['u2', 1],
    ])
    expect(reg.typeOf('u2')).toBe('fan')
    expect(reg.tagsFor('f1')).toEqual({ zone: 's' })
    reg.replace([{ id: 'u2', type: 'fan', tags: {} }])
    expect(reg.unregistered().map((u) => u.id)).toEqual(['u3'])
    expect(reg.admit('u2', 'fan', 'x')).toBe(true)
    expect(reg.get('f1')).toBeUndefined()
  })
})
