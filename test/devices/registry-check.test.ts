import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { configFromObject } from '../../src/config/load.js'
import { formatFileError } from '../../src/core/file-errors.js'
import { checkRegistryAndCommands } from '../../src/devices/registry-check.js'
import { fixtureCatalog } from './fixture-catalog.js'

let cleanup: (() => void)[] = []
afterEach(() => {
  for (const c of cleanup) c()
  cleanup = []
})

describe('tidegate check: registry and command schemas', () => {
  it('the shipped catalog and registry are valid', () => {
    const config = configFromObject({ catalog: './devices' })
    expect(checkRegistryAndCommands(config, process.cwd())).toEqual([])
  })

  it('reports a command params schema that does not compile and registry mistakes, located', () => {
    const catalog = fixtureCatalog('version: 1\ndevices:\n  - { id: x1, type: nope }\n')
    cleanup.push(catalog.remove)
    writeFileSync(
      join(catalog.dir, 'valve.yaml'),
      `version: 1
type: valve
topics: ["devices/{device}/valve"]
measurement: valve
schema: { type: object }
commands:
  open:
    params: { type: objekt }
`,
    )
    const config = configFromObject({ catalog: catalog.dir })
    const errors = checkRegistryAndCommands(config, '/').map((e) =>
      formatFileError(e).replace(catalog.dir, 'C'),
    )
    expect(errors).toEqual([
      expect.stringMatching(
        /^C\/valve\.yaml:8:13 TG_CATALOG_COMMAND_SCHEMA_INVALID \/commands\/open\/params: invalid JSON Schema: /,
      ),
      expect.stringMatching(
        /^C\/registry\.yaml:3:21 TG_REGISTRY_UNKNOWN_TYPE \/devices\/0\/type: unknown device type "nope"/,
      ),
    ])
  })

  it('a registry named in the config must exist', () => {
    const config = configFromObject({
      catalog: './devices',
      devices: { registry: './no-such-registry.yaml' },
    })
    expect(checkRegistryAndCommands(config, process.cwd()).map((e) => e.message)).toEqual([
      'registry file not found',
    ])
  })
})
