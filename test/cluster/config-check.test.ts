import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { clusterConfigChecker } from '../../src/cluster/config-check.js'
import { compilePartitioner, partitionOf } from '../../src/cluster/partition.js'
import { loadConfig } from '../../src/config/load.js'
import type { Event } from '../../src/core/event.js'

const event = (device: string, tags: Record<string, string> = {}): Event => ({
  device,
  type: 'climate-sensor',
  stream: 'telemetry',
  time: 0,
  received: 0,
  data: { temperature: 20 },
  tags,
  source: 'mqtt',
  topic: `devices/${device}/telemetry`,
})

function configFile(cluster: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tidegate-cluster-')), 'gateway.yaml')
  writeFileSync(file, `version: 1\ncluster:\n${cluster}`)
  return file
}

describe('cluster config', () => {
  it('defaults: off without redis, partitionBy device, 64 partitions', () => {
    const { config } = loadConfig(configFile('  partitions: 64\n'))
    expect(config.cluster).toMatchObject({ partitionBy: 'device', partitions: 64 })
    expect(config.cluster.redis).toBeUndefined()
  })

  it('tidegate check reports a partitionBy that is not CEL over the event, with its line', () => {
    const file = configFile('  redis: redis://127.0.0.1:6379\n  partitionBy: tags.site +\n')
    const errors = clusterConfigChecker(loadConfig(file).config, '.', file)
    expect(errors).toHaveLength(1)
    expect(errors[0]).toMatchObject({ line: 4, code: 'TG_CONFIG_INVALID', path: '/cluster/partitionBy' })
    const unknown = configFile('  partitionBy: site\n')
    expect(clusterConfigChecker(loadConfig(unknown).config, '.', unknown)[0]?.message).toMatch(/site/)
  })

  it('partitions by device by default, by any CEL over the event otherwise; stable across nodes', () => {
    const byDevice = compilePartitioner('device', 64)
    const bySite = compilePartitioner('tags.site', 64)
    let errors = 0
    const byExpr = compilePartitioner("deviceType + '/' + tags.site", 64, () => errors++)
    if (typeof byDevice !== 'function' || typeof bySite !== 'function' || typeof byExpr !== 'function')
      throw new Error('did not compile')
    expect(byDevice(event('fan-1'))).toBe(partitionOf('fan-1', 64))
    expect(bySite(event('a', { site: 'north' }))).toBe(bySite(event('b', { site: 'north' })))
    expect(byExpr(event('a', { site: 'north' }))).toBe(partitionOf('climate-sensor/north', 64))
    // A missing tag is the empty value, not an error that stops the event; it is counted.
    expect(errors).toBe(0)
    expect(byExpr(event('a'))).toBe(partitionOf('', 64))
    expect(errors).toBe(1)
    // Spread: 1000 devices fill every one of 64 partitions.
    const used = new Set(Array.from({ length: 1000 }, (_, i) => byDevice(event(`dev-${i}`))))
    expect(used.size).toBe(64)
  })
})
