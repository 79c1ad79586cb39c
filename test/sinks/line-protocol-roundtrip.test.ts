import { randomUUID } from 'node:crypto'
import { beforeAll, describe, expect, inject, it } from 'vitest'
import { type FieldValue, toLine } from '../../src/sinks/influx/line-protocol.js'

/**
 * Escaping checked against the real InfluxDB 1.x of the test harness: write lines, query them back,
 * compare names, tags, values and field types exactly.
 */
const url = inject('influxUrl')
const db = `lp_${randomUUID().replace(/-/g, '').slice(0, 12)}`

async function query(q: string): Promise<{ series?: Series[]; error?: string }> {
  const res = await fetch(`${url}/query?${new URLSearchParams({ db, q, epoch: 'ms' })}`, { method: 'POST' })
  const json = (await res.json()) as { results: { series?: Series[]; error?: string }[] }
  return json.results[0] ?? {}
}
interface Series {
  name: string
  tags?: Record<string, string>
  columns: string[]
  values: unknown[][]
}

async function write(lines: string[]): Promise<void> {
  const res = await fetch(`${url}/write?db=${db}&precision=ms`, { method: 'POST', body: lines.join('\n') })
  expect(res.status, await res.text()).toBe(204)
}

/** An InfluxQL quoted identifier. */
const ident = (s: string) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`

/** Reads one measurement back: its tags, its single row as an object, and each field's stored type. */
async function readBack(measurement: string) {
  const rows = await query(`SELECT * FROM ${ident(measurement)} GROUP BY *`)
  expect(rows.error).toBeUndefined()
  const series = rows.series?.[0]
  if (!series) throw new Error(`measurement ${JSON.stringify(measurement)} not found`)
  const row = Object.fromEntries(series.columns.map((c, i) => [c, series.values[0]?.[i]]))
  const keys = await query(`SHOW FIELD KEYS FROM ${ident(measurement)}`)
  const types = Object.fromEntries((keys.series?.[0]?.values ?? []).map((v) => [v[0], v[1]]))
  return { name: series.name, tags: series.tags ?? {}, row, types }
}

const NASTY = [
  'with space',
  'comma,inside',
  'equals=inside',
  'quote"inside',
  "single'quote",
  'back\\slash',
  'double\\\\backslash',
  'two backslashes\\\\ before space',
  'two backslashes\\\\,before comma',
  'two backslashes\\\\=before equals',
  ' leading and trailing ',
  '=,  mixed\\\\ "= ,',
  '"quoted"',
  'emoji 🌡️🔥',
  'CJK 温度 湿度',
  'accents é ü ñ',
]

beforeAll(async () => {
  await query(`CREATE DATABASE ${db}`)
})

describe('line protocol round trip through InfluxDB 1.x', () => {
  it('measurement names, tag keys, tag values, field keys and string fields come back exactly', async () => {
    // Measurement names lose backslashes before `,` `=` and space (see the substitution test).
    const points = NASTY.map((s, i) => ({
      measurement: /\\[,= ]/.test(s) ? `m${i}` : `m${i} ${s}`,
      tags: { [`tk ${s}`]: `tv ${s}`, device: s },
      fields: { [`fk ${s}`]: `sv ${s}`, plain: s } as Record<string, FieldValue>,
      time: 1_700_000_000_000 + i,
    }))
    await write(points.map((p) => toLine(p) as string))
    for (const p of points) {
      const back = await readBack(p.measurement)
      expect(back.name).toBe(p.measurement)
      expect(back.tags).toEqual(p.tags)
      expect(back.row).toMatchObject({ time: p.time, ...p.fields })
    }
  })

  it('integers, floats and booleans keep their types', async () => {
    const line = toLine({
      measurement: 'types',
      tags: {},
      fields: {
        count: 42,
        negative: -7,
        big: 9_007_199_254_740_991,
        bigint: 123n,
        ratio: 0.1,
        whole: 40,
        tiny: 1e-7,
        huge: 1e21,
        on: true,
        off: false,
        text: 'true',
      },
      time: 1_700_000_000_000,
      integerFields: new Set(['count', 'negative', 'big']),
    })
    await write([line as string])
    const back = await readBack('types')
    expect(back.row).toEqual({
      time: 1_700_000_000_000,
      count: 42,
      negative: -7,
      big: 9_007_199_254_740_991,
      bigint: 123,
      ratio: 0.1,
      whole: 40,
      tiny: 1e-7,
      huge: 1e21,
      on: true,
      off: false,
      text: 'true',
    })
    expect(back.types).toEqual({
      count: 'integer',
      negative: 'integer',
      big: 'integer',
      bigint: 'integer',
      ratio: 'float',
      whole: 'float',
      tiny: 'float',
      huge: 'float',
      on: 'boolean',
      off: 'boolean',
      text: 'string',
    })
  })

  it('what 1.x cannot store is substituted as documented: trailing backslash, odd backslash runs, line breaks', async () => {
    const line = toLine({
      measurement: 'subst one\\ two\\\\,three\\=four\\',
      tags: { 'key\\': 'value\\\\', brk: 'a\nb', odd: 'x\\,y', odd3: 'x\\\\\\=y', even: 'x\\\\ y' },
      fields: {
        'f\\': 'ends with \\',
        'g\\\\': 2,
        'odd\\ run': 3,
        'even\\\\ run': 4,
        'odd\\\\\\=run': 5,
        lines: 'one\ntwo\r\nthree',
      },
      time: 1_700_000_000_000,
    })
    await write([line as string])
    const back = await readBack('subst one＼ two＼＼,three＼=four＼')
    expect(back.tags).toEqual({
      'key＼': 'value＼＼',
      brk: 'a\\nb',
      odd: 'x＼,y',
      odd3: 'x\\\\＼=y',
      even: 'x\\\\ y',
    })
    expect(back.row).toEqual({
      time: 1_700_000_000_000,
      'f＼': 'ends with \\',
      'g＼＼': 2,
      'odd＼ run': 3,
      'even\\\\ run': 4,
      'odd\\\\＼=run': 5,
      lines: 'one\\ntwo\\nthree',
    })
  })

  it('leaves out what InfluxDB would reject: empty tag values, time keys, NaN/Infinity, int64 overflow', async () => {
    const line = toLine({
      measurement: 'rejects',
      tags: { empty: '', time: 'x', ok: 'y' },
      fields: { time: 1, nan: Number.NaN, inf: Number.POSITIVE_INFINITY, over: 1e19, v: 1 },
      time: 1_700_000_000_000,
      integerFields: new Set(['over']),
    })
    expect(line).toBe('rejects,ok=y v=1 1700000000000')
    await write([line as string])
    const back = await readBack('rejects')
    expect(back.tags).toEqual({ ok: 'y' })
    expect(back.row).toEqual({ time: 1_700_000_000_000, v: 1 })
  })

  it('a point with no representable field is no line at all', () => {
    expect(toLine({ measurement: 'm', tags: {}, fields: { a: Number.NaN }, time: 1 })).toBeNull()
  })
})
