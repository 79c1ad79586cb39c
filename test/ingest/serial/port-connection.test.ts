import { createRequire } from 'node:module'
import { describe, expect, it } from 'vitest'

const require = createRequire(import.meta.url)
const serialportLoaded = () => Object.keys(require.cache).some((p) => /[/\\]node_modules[/\\]serialport[/\\]/.test(p))

describe('serialport is loaded on demand', () => {
  it('loading the whole gateway does not load serialport (~4 MB) until a serial port is opened', async () => {
    await import('../../../src/gateway.js')
    await import('../../../src/extensions.js')
    expect(serialportLoaded()).toBe(false)
    await import('serialport')
    expect(serialportLoaded()).toBe(true) // the probe itself sees a loaded serialport
  })
})
