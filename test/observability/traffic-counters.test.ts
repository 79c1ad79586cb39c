import { describe, expect, it } from 'vitest'
import { publishKind } from '../../src/observability/traffic-counters.js'

describe('publishKind', () => {
  it('classifies topics by their bounded shape, never by device id', () => {
    const cases: Record<string, string> = {
      'devices/a/telemetry': 'device_data',
      devices: 'other',
      'devices/a': 'device_data',
      'devices/a/commands': 'command',
      'devices/a/commands/set': 'command',
      'devices/a/commandsX': 'device_data',
      'devices/a/acks': 'ack',
      'devices/a/acks/x': 'device_data',
      'devices/a/sub/acks': 'device_data',
      'devices/a/availability': 'availability',
      'devices/acks/availability': 'availability',
      'devices/a/xavailability': 'device_data',
      'alerts/overheat/north': 'alert',
      'tidegate/deadletter/schema': 'dead_letter',
      'tidegate/status': 'gateway',
      '$SYS/broker/uptime': 'sys',
      'plant/line-1': 'other',
    }
    for (const [topic, kind] of Object.entries(cases)) expect(publishKind(topic), topic).toBe(kind)
  })
})
