import { describe, expect, it } from 'vitest'
import { loadRulesDir } from '../../src/rules/load.js'
import { ruleErrors } from './harness.js'

const base = `version: 1
id: r
from: { type: climate-sensor }
`

describe('rule files: checked at load, every error located file:line:col', () => {
  it('ships example rules that all load', async () => {
    const load = await loadRulesDir('rules')
    expect(load.errors).toEqual([])
    expect(load.rules.length).toBeGreaterThanOrEqual(4)
    expect(load.rules.length).toBeLessThanOrEqual(8)
  })

  it('points at the column of a CEL syntax error inside a quoted expression', () => {
    expect(ruleErrors(`${base}where: "data.t > "\n`)).toEqual([
      '4:18 TG_RULE_EXPRESSION /where: Unexpected token: EOF',
    ])
  })

  it('reports unknown variables and non-boolean conditions', () => {
    expect(ruleErrors(`${base}when: temperature > 3\n`)).toEqual([
      '4:7 TG_RULE_EXPRESSION /when: Unknown variable: temperature',
    ])
    expect(ruleErrors(`${base}when: "'a' + 'b'"\n`)).toEqual([
      '4:8 TG_RULE_EXPRESSION /when: must be bool, is string',
    ])
  })

  it('aggregate expressions are checked at their own position', () => {
    const errors = ruleErrors(`${base}window: { kind: tumbling, size: 10s }
aggregate:
  m: avg(data.t +)
  x: mean(data.t)
when: m > 3 && nope
`)
    expect(errors).toEqual([
      '6:18 TG_RULE_EXPRESSION /aggregate/m: Unexpected token: EOF',
      '7:6 TG_RULE_EXPRESSION /aggregate/x: unknown aggregate "mean"; one of count, sum, avg, min, max, first, last, stddev, percentile, rate, delta, distinct',
      '8:16 TG_RULE_EXPRESSION /when: Unknown variable: nope',
    ])
  })

  it('schema errors: unknown keys, wrong types, bad durations, all at once', () => {
    const errors = ruleErrors(`version: 1
id: r
form: { type: x }
for: soon
severity: loud
`)
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^3:1 TG_RULE_UNKNOWN_KEY \/form: unknown key "form"/),
        expect.stringMatching(/^4:6 TG_RULE_INVALID \/for: /),
        expect.stringMatching(/^5:11 TG_RULE_INVALID \/severity: /),
      ]),
    )
  })

  it('what the schema cannot say: window keys, aggregates without window, triggers without when', () => {
    expect(ruleErrors(`${base}window: { kind: hopping, size: 10s }\naggregate: { n: count() }\n`)).toEqual([
      '4:9 TG_RULE_SHAPE /window: a hopping window needs "every"',
    ])
    expect(ruleErrors(`${base}aggregate: { n: count() }\n`)).toEqual([
      '4:12 TG_RULE_SHAPE /aggregate: aggregates need a "window"',
    ])
    expect(
      ruleErrors(`${base}window: { kind: tumbling, size: 1m, lateness: 5s }\naggregate: { n: count() }\n`),
    ).toEqual(['4:47 TG_RULE_SHAPE /window/lateness: "lateness" needs time: event'])
    expect(ruleErrors(`${base}actions:\n  - alert: {}\n`)).toEqual([
      '5:12 TG_RULE_SHAPE /actions/0/alert: an alert action needs "when" (or kind: deadman)',
    ])
    expect(ruleErrors(`${base}kind: deadman\n`)).toEqual([
      '1:1 TG_RULE_SHAPE /: a deadman rule needs "silence"',
    ])
  })

  it('templates are values, not code', () => {
    expect(
      ruleErrors(`${base}actions:\n  - publish: { topic: "a/{{device}}", payload: "{{ data.t * 2 }}" }\n`),
    ).toEqual([
      '5:48 TG_RULE_TEMPLATE /actions/0/publish/payload: "{{data.t * 2}}" is not a value path (letters, digits, _ and dots only)',
    ])
  })

  it('a YAML syntax error is located too', () => {
    expect(ruleErrors(`${base}when: [unclosed\n`)[0]).toMatch(/^\d+:\d+ TG_RULE_PARSE : /)
  })
})
