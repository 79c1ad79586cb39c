import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import type { FileError } from '../../src/core/file-errors.js'
import { loadCatalog } from '../../src/devices/catalog.js'

const root = mkdtempSync(join(tmpdir(), 'tidegate-catalog-'))
afterAll(() => rmSync(root, { recursive: true, force: true }))
let n = 0

/** A catalog folder holding the given files; returns the load result with file paths made relative. */
function load(files: Record<string, string>) {
  const dir = join(root, `c${n++}`)
  mkdirSync(dir)
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text)
  const result = loadCatalog(dir)
  const errors: FileError[] = result.errors.map((e) => ({ ...e, file: e.file.replace(`${dir}/`, '') }))
  return { catalog: result.catalog, errors }
}

const GOOD = `version: 1
type: thermo
measurement: thermo
tags: [room]
schema:
  type: object
  required: [t]
  properties:
    t: { type: number, unit: degC }
    room: { type: string }
  additionalProperties: false
`

describe('catalog loading', () => {
  it('the shipped devices/ folder loads without errors', () => {
    const { catalog, errors } = loadCatalog('devices')
    expect(errors).toEqual([])
    expect([...catalog.types.keys()]).toEqual(expect.arrayContaining(['climate-sensor', 'power-meter']))
  })

  it('applies defaults: topic pattern, time and seq fields', () => {
    const { catalog, errors } = load({ 'thermo.yaml': GOOD })
    expect(errors).toEqual([])
    const t = catalog.types.get('thermo')
    expect(t?.topics.map((p) => p.source)).toEqual(['devices/{device}/telemetry'])
    expect(t).toMatchObject({ timeField: 'ts', timeScale: 1, seqField: 'seq', tagFields: ['room'] })
    expect(t?.validate({ t: 1, room: 'a' })).toBe(true)
    expect(t?.validate({ t: 'x' })).toBe(false)
  })

  it('a bad file is reported and left out; the good ones still load', () => {
    const { catalog, errors } = load({ 'a.yaml': GOOD, 'b.yaml': 'type: [unclosed\n' })
    expect([...catalog.types.keys()]).toEqual(['thermo'])
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ file: 'b.yaml', line: expect.any(Number), col: expect.any(Number) })
    expect(errors[0]?.line).toBeGreaterThan(0)
  })

  it('ignores files that are not YAML and the registry file', () => {
    const { catalog, errors } = load({ 'a.yaml': GOOD, 'README.md': '# hi', 'registry.yaml': 'devices: {}' })
    expect(errors).toEqual([])
    expect(catalog.types.size).toBe(1)
  })

  it('a missing folder is one error', () => {
    const { errors } = loadCatalog(join(root, 'nope'))
    expect(errors).toHaveLength(1)
    expect(errors[0]?.message).toMatch(/cannot read catalog folder/)
  })
})

describe('catalog errors carry file:line:col and path', () => {
  it('YAML syntax error', () => {
    const { errors } = load({ 'x.yaml': 'type: x\nmeasurement: "unterminated\n' })
    expect(errors[0]).toMatchObject({ file: 'x.yaml', line: expect.any(Number), col: expect.any(Number) })
    expect(errors[0]?.line).toBeGreaterThan(0)
  })

  it('type file schema violations: unknown key at the key, missing key, bad type name', () => {
    const { errors } = load({
      'x.yaml': 'version: 1\ntype: Bad Name\nmesurement: m\nschema: { type: object }\n',
    })
    expect(errors).toEqual(
      expect.arrayContaining([
        {
          file: 'x.yaml',
          line: 3,
          col: 1,
          code: 'TG_CATALOG_UNKNOWN_KEY',
          path: '/mesurement',
          message: 'unknown key "mesurement"',
        },
        {
          file: 'x.yaml',
          line: 1,
          col: 1,
          code: 'TG_CATALOG_MISSING_KEY',
          path: '/',
          message: 'missing required key "measurement"',
        },
        expect.objectContaining({
          line: 2,
          col: 7,
          code: 'TG_CATALOG_INVALID',
          path: '/type',
        }),
      ]),
    )
  })

  it('an invalid JSON Schema points into the schema', () => {
    const { errors } = load({
      'x.yaml': GOOD.replace('t: { type: number, unit: degC }', 't: { type: numbr }'),
    })
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      file: 'x.yaml',
      line: 9,
      col: 16,
      code: 'TG_CATALOG_SCHEMA_INVALID',
      path: '/schema/properties/t/type',
    })
    expect(errors[0]?.message).toMatch(/^invalid JSON Schema: /)
  })

  it('an unknown keyword in the payload schema is an error, not silently ignored', () => {
    const { errors } = load({
      'x.yaml': GOOD.replace('t: { type: number, unit: degC }', 't: { type: number, minimun: 0 }'),
    })
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      line: 9,
      col: 24,
      code: 'TG_CATALOG_SCHEMA_INVALID',
      path: '/schema/properties/t/minimun',
    })
    expect(errors[0]?.message).toMatch(/unknown keyword: "minimun"/)
  })

  it('a payload schema that is not an object schema', () => {
    const { errors } = load({ 'x.yaml': 'type: x\nmeasurement: m\nschema:\n  type: array\n' })
    expect(errors).toEqual([
      {
        file: 'x.yaml',
        line: 4,
        col: 9,
        code: 'TG_CATALOG_SCHEMA_INVALID',
        path: '/schema/type',
        message: 'a payload schema must describe an object',
      },
    ])
  })

  it('bad topic patterns, each at its own line', () => {
    const { errors } = load({
      'x.yaml': GOOD.replace(
        'measurement: thermo',
        'measurement: thermo\ntopics:\n  - devices/#/x\n  - devices/{id}/t\n  - devices/{device}/{device}\n  - a+/b\n',
      ),
    })
    expect(errors.map((e) => [e.line, e.path, e.message])).toEqual([
      [5, '/topics/0', '"#" must be the last level'],
      [6, '/topics/1', 'only a whole "{device}" level may use braces'],
      [7, '/topics/2', '"{device}" may appear once'],
      [8, '/topics/3', '"+" must be a whole level'],
    ])
    expect(new Set(errors.map((e) => e.code))).toEqual(new Set(['TG_CATALOG_TOPIC_INVALID']))
  })

  it('duplicate type names point at the second declaration', () => {
    const { catalog, errors } = load({ 'a.yaml': GOOD, 'b.yaml': `# same name\n${GOOD}` })
    expect(catalog.types.get('thermo')?.file).toMatch(/a\.yaml$/)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({
      file: 'b.yaml',
      line: 3,
      col: 7,
      code: 'TG_CATALOG_DUPLICATE_TYPE',
      path: '/type',
    })
    expect(errors[0]?.message).toMatch(/type "thermo" is already declared in .*a\.yaml/)
  })

  it('a tag that is not a payload property', () => {
    const { errors } = load({ 'x.yaml': GOOD.replace('tags: [room]', 'tags: [rooom]') })
    expect(errors).toEqual([
      {
        file: 'x.yaml',
        line: 4,
        col: 8,
        code: 'TG_CATALOG_UNDECLARED_NAME',
        path: '/tags/0',
        message: '"rooom" is not a property of the payload schema',
      },
    ])
  })

  it('a measurement starting with # (a line-protocol comment)', () => {
    const { errors } = load({ 'x.yaml': GOOD.replace('measurement: thermo', 'measurement: "#thermo"') })
    expect(errors[0]).toMatchObject({ line: 3, path: '/measurement' })
  })

  it('every error of every file is listed', () => {
    const { errors } = load({
      'a.yaml': 'type: a\n',
      'b.yaml': 'type: b\nmeasurement: m\nschema: { type: object }\nbogus: 1\n',
    })
    expect(errors.map((e) => `${e.file} ${e.path}`).sort()).toEqual(['a.yaml /', 'a.yaml /', 'b.yaml /bogus'])
  })
})
