import { SerialPort } from 'serialport'
import { encodeFrame, type Reading, type WireFormat } from './frames.js'
import { startPtyPair } from './pty-pair.js'

/**
 * The device end of a serial line: writes frames, and hands each line the gateway writes (commands)
 * to `onLine`. Lines end at "\n"; a trailing "\r" is dropped.
 */
export class SerialDeviceEnd {
  private buffered = ''
  private readonly listeners: ((line: string) => void)[] = []
  /** Every line received so far, for tests and logs. */
  readonly lines: string[] = []

  private constructor(private readonly port: SerialPort) {
    port.on('data', (chunk: Buffer) => this.onData(chunk))
    // A pty whose other side went away reports errors; the owner decides what to do by stopping.
    port.on('error', () => {})
  }

  static open(path: string, baudRate = 9600): Promise<SerialDeviceEnd> {
    const port = new SerialPort({ path, baudRate, autoOpen: false })
    return new Promise((resolve, reject) => {
      port.open((err) => (err ? reject(err) : resolve(new SerialDeviceEnd(port))))
    })
  }

  write(bytes: Buffer | string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.port.write(bytes, (err) => {
        if (err) return reject(err)
        this.port.drain((e) => (e ? reject(e) : resolve()))
      })
    })
  }

  send(reading: Reading, format: WireFormat): Promise<void> {
    return this.write(encodeFrame(reading, format))
  }

  onLine(listener: (line: string) => void): void {
    this.listeners.push(listener)
  }

  /** Resolves with the next line received (or the nth overall, when `index` is given). */
  nextLine(timeoutMs = 10_000, index = this.lines.length): Promise<string> {
    return new Promise((resolve, reject) => {
      const check = () => {
        const line = this.lines[index]
        if (line === undefined) return false
        clearTimeout(timer)
        resolve(line)
        return true
      }
      const timer = setTimeout(() => reject(new Error(`no line ${index} within ${timeoutMs} ms`)), timeoutMs)
      if (!check()) this.listeners.push(() => void check())
    })
  }

  close(): Promise<void> {
    if (!this.port.isOpen) return Promise.resolve()
    return new Promise((resolve) => this.port.close(() => resolve()))
  }

  private onData(chunk: Buffer): void {
    this.buffered += chunk.toString('utf8')
    for (let at = this.buffered.indexOf('\n'); at >= 0; at = this.buffered.indexOf('\n')) {
      const line = this.buffered.slice(0, at).replace(/\r$/, '')
      this.buffered = this.buffered.slice(at + 1)
      this.lines.push(line)
      for (const l of [...this.listeners]) l(line)
    }
    // A device has a small line buffer too: garbage without newlines must not grow it forever.
    if (this.buffered.length > 4096) this.buffered = ''
  }
}

export interface PlayOptions {
  /** Where the gateway's end of the pty appears (its config `port:`). */
  gatewayPath: string
  format: WireFormat
  intervalMs: number
  /** The next reading; the simulator's signal models plug in here. */
  sample: () => Reading
  /** Each command line the gateway writes (closed loop: e.g. switch a fan, change the signal). */
  onCommand?: (line: string) => void
}

export interface PlayingDevice {
  readonly gatewayPath: string
  readonly pid: number
  readonly end: SerialDeviceEnd
  stop(): Promise<void>
}

/** Plays a wired sensor: makes the pty pair, sends a reading every interval, answers commands. */
export async function playSerialDevice(options: PlayOptions): Promise<PlayingDevice> {
  const pair = await startPtyPair(options.gatewayPath)
  let end: SerialDeviceEnd
  try {
    end = await SerialDeviceEnd.open(pair.devicePath)
  } catch (err) {
    await pair.stop()
    throw err
  }
  if (options.onCommand) end.onLine(options.onCommand)
  const timer = setInterval(() => {
    end.send(options.sample(), options.format).catch(() => {
      // The gateway end may not be open yet: a real sensor talks regardless, and so do we.
    })
  }, options.intervalMs)
  return {
    gatewayPath: pair.gatewayPath,
    pid: pair.pid,
    end,
    async stop() {
      clearInterval(timer)
      await end.close()
      await pair.stop()
    },
  }
}
