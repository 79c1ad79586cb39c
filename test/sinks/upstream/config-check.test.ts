import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { loadConfig } from '../../../src/config/load.js'
import { FileErrors, formatFileError } from '../../../src/core/file-errors.js'
import { upstreamConfigChecker } from '../../../src/sinks/upstream/config-check.js'
import { forwardFilters, receiveSubscriptions } from '../../../src/sinks/upstream/filters.js'

const dir = mkdtempSync(join(tmpdir(), 'tidegate-upstream-check-'))
afterAll(() => rmSync(dir, { recursive: true, force: true }))

/** `tidegate check`'s view of a config: schema errors first (thrown), then the upstream checker's. */
function check(yaml: string): string[] {
  const file = join(dir, `c${Math.random().toString(36).slice(2)}.yaml`)
  writeFileSync(file, yaml)
  try {
    return upstreamConfigChecker(loadConfig(file).config, dir, file).map((e) =>
      formatFileError(e).replace(`${file}:`, ''),
    )
  } catch (err) {
    if (err instanceof FileErrors) return err.message.split('\n').map((l) => l.replace(`${file}:`, ''))
    throw err
  }
}

describe('upstream config', () => {
  it('the issue example is valid, with its defaults', () => {
    const file = join(dir, 'ok.yaml')
    writeFileSync(
      file,
      'upstream:\n  url: mqtts://central.example:8883\n  forward: [alerts/#, { filter: devices/+/telemetry, qos: 0 }]\n  receive: [devices/+/commands/#]\n  buffer: { maxBytes: 64MiB }\n',
    )
    const { config } = loadConfig(file)
    expect(upstreamConfigChecker(config, dir, file)).toEqual([])
    expect(config.upstream).toMatchObject({
      protocolVersion: 4,
      prefix: '',
      buffer: { durable: true, maxBytes: '64MiB' },
    })
    // Commands can come down, so their acks go up.
    expect(forwardFilters(config.upstream ?? { forward: [], receive: [] })).toEqual([
      { filter: 'alerts/#', qos: 1 },
      { filter: 'devices/+/telemetry', qos: 0 },
      { filter: 'devices/+/acks', qos: 1 },
    ])
  })

  it('schema errors carry file:line (bad url scheme, bad QoS, unknown key)', () => {
    const errors = check(
      'upstream:\n  url: http://x\n  forward:\n    - { filter: a/#, qos: 2 }\n  colour: red\n',
    )
    expect(errors.join('\n')).toMatch(/^2:\d+ .*\/upstream\/url/m)
    expect(errors.join('\n')).toMatch(/^4:\d+ .*\/upstream\/forward\/0/m)
    expect(errors.join('\n')).toMatch(/colour/)
  })

  it('reports loops, reserved topics, bad filters and unreadable files with their lines', () => {
    const errors = check(
      [
        'upstream:',
        '  url: mqtt://central:1883',
        '  prefix: sites/+',
        '  forward: [devices/#, a/#/b]',
        '  receive:',
        '    - devices/+/commands/#',
        '    - alerts/x',
        '  passwordFile: /nonexistent/secret',
        '  cert: c.pem',
        '',
      ].join('\n'),
    )
    expect(errors).toEqual([
      expect.stringMatching(
        /^3:\d+ TG_CONFIG_INVALID \/upstream\/prefix: a prefix is topic levels without wildcards/,
      ),
      expect.stringMatching(
        /^4:\d+ TG_CONFIG_INVALID \/upstream\/forward\/1: "a\/#\/b": `#` must be the last level/,
      ),
      expect.stringMatching(
        /^6:\d+ TG_CONFIG_CONFLICT \/upstream\/receive\/0: "devices\/\+\/commands\/#" overlaps the forwarded "devices\/#"/,
      ),
      expect.stringMatching(
        /^7:\d+ TG_CONFIG_INVALID \/upstream\/receive\/1: "alerts\/x": tidegate\/# and alerts\/# are the gateway's own/,
      ),
      expect.stringMatching(
        /^9:\d+ TG_CONFIG_CONFLICT \/upstream\/cert: a client certificate needs both cert and key/,
      ),
      expect.stringMatching(
        /^8:\d+ TG_CONFIG_FILE_UNREADABLE \/upstream\/passwordFile: cannot read \/nonexistent\/secret/,
      ),
      expect.stringMatching(/^9:\d+ TG_CONFIG_FILE_UNREADABLE \/upstream\/cert: cannot read c.pem/),
    ])
  })

  it('overlapping receive filters are subscribed once (a broker may deliver once per subscription)', () => {
    expect(receiveSubscriptions(['devices/+/commands/#', '#', 'plant/#', '#'])).toEqual(['#'])
    expect(receiveSubscriptions(['a/+', 'a/b', 'c/#'])).toEqual(['a/+', 'c/#'])
  })
})
