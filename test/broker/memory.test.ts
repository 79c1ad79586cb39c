import { type ChildProcess, spawn } from 'node:child_process'
import { connect } from 'node:net'
import { createInterface } from 'node:readline'
import { afterEach, describe, expect, it } from 'vitest'
import { bytes, connectPacket, rawPublish, remainingLength, sleep } from './raw-client.js'

let child: ChildProcess | null = null
afterEach(() => {
  if (child?.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
  child = null
})

/** Starts the fixture broker in a child process; `ask()` returns its RSS after a forced GC. */
async function startChild() {
  const proc = spawn(
    process.execPath,
    ['--expose-gc', '--import', 'tsx', 'test/broker/fixtures/rss-broker.ts'],
    {
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  )
  child = proc
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream })
  const waiting: ((line: string) => void)[] = []
  lines.on('line', (line) => waiting.shift()?.(line))
  const next = () => new Promise<string>((resolve) => waiting.push(resolve))
  const { port } = JSON.parse(await next()) as { port: number }
  const askOnce = async () => {
    const reply = next()
    proc.stdin?.write('rss\n')
    return (JSON.parse(await reply) as { rss: number }).rss
  }
  // The least of three readings 100 ms apart: what is retained shows in all of them, while memory the
  // allocator has not yet handed back after a burst (seen as a one-off +15 MB under the full suite's load)
  // does not.
  const ask = async () => {
    let least = Number.POSITIVE_INFINITY
    for (let i = 0; i < 3; i++) {
      if (i > 0) await sleep(100)
      least = Math.min(least, await askOnce())
    }
    return least
  }
  return { port, ask }
}

/** Opens a socket, writes `head` then `body` in 64 KiB pieces until the broker closes it; resolves on close. */
function hostileSocket(port: number, head: Buffer, bodyBytes: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(head)
      const piece = Buffer.alloc(65536, 0x41)
      let sent = 0
      const pump = () => {
        while (sent < bodyBytes && !socket.destroyed) {
          sent += piece.length
          if (!socket.write(piece)) return socket.once('drain', pump)
        }
      }
      pump()
    })
    socket.on('error', () => undefined)
    socket.on('close', () => resolve())
  })
}

const MB = 1024 * 1024

describe('memory stays flat against oversize and unfinished CONNECTs', () => {
  it('RSS stays flat across rounds of 200 oversize, 1 × 50 MB and 200 unfinished CONNECT sockets', async () => {
    const { port, ask } = await startChild()
    // Warm up: the first connections allocate parser and socket machinery once.
    await Promise.all(
      Array.from({ length: 20 }, () => hostileSocket(port, Buffer.from([0x10, 0x80, 0x80, 0x80, 0x40]), MB)),
    )
    const before = await ask()

    const oversizeHead = Buffer.concat([Buffer.from([0x10]), remainingLength(200 * MB)])
    // Under the 256 KiB cap but never finished: buffered until connectTimeout (500 ms) drops them.
    const unfinishedHead = Buffer.concat([Buffer.from([0x10]), remainingLength(200 * 1024)])
    const attack = async () => {
      await Promise.all(Array.from({ length: 200 }, () => hostileSocket(port, oversizeHead, MB)))
      await hostileSocket(port, oversizeHead, 50 * MB)
      await Promise.all(Array.from({ length: 200 }, () => hostileSocket(port, unfinishedHead, 100 * 1024)))
      await sleep(100)
    }
    await attack()
    const afterFirst = await ask()
    await attack()
    const afterSecond = await ask()
    await attack()
    const afterThird = await ask()

    const mb = (n: number) => `${(n / MB).toFixed(1)} MB`
    console.log(
      `rss before ${mb(before)}, after 1 attack ${mb(afterFirst)}, after 2 attacks ${mb(afterSecond)}, after 3 attacks ${mb(afterThird)}`,
    )
    // The first round may keep its peak (200 partial CONNECTs of ~100 KiB held at once) in the allocator;
    // repeating it must not add more: nothing is retained per connection. A leak shows in every later
    // round; the allocator's timing moves single readings by up to ~15 MB (seen under the full suite's
    // load), so the later rounds are compared by their least reading.
    expect(afterFirst - before).toBeLessThan(40 * MB)
    expect(Math.min(afterSecond, afterThird) - afterFirst).toBeLessThan(8 * MB)
    expect(afterThird - afterFirst).toBeLessThan(24 * MB)
  }, 60_000)

  it('RSS stays flat while clients cycle persistent client ids and fill retained topics (caps 200)', async () => {
    const { port, ask } = await startChild()
    const payload = Buffer.alloc(40 * 1024, 0x42)
    /** One client: a new persistent session with 5 subscriptions and one 40 KiB retained message. */
    const visit = (round: number, i: number) =>
      new Promise<void>((resolve) => {
        const id = `cycle-${round}-${i}`
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(
            Buffer.concat([
              connectPacket({ clientId: id, clean: false }),
              bytes({
                cmd: 'subscribe',
                messageId: 1,
                subscriptions: [0, 1, 2, 3, 4].map((n) => ({ topic: `s/${id}/${n}/#`, qos: 1 })),
              }),
              Buffer.concat([rawPublish(Buffer.from(`r/${id}`), payload)]).fill(0x31, 0, 1),
              bytes({ cmd: 'disconnect' }),
            ]),
          )
        })
        socket.on('error', () => undefined)
        // Read (and drop) the CONNACK/SUBACK, or the broker's FIN is never seen and 'close' never comes.
        socket.resume()
        socket.on('close', () => resolve())
      })
    const round = async (r: number) => {
      for (let batch = 0; batch < 5; batch++)
        await Promise.all(Array.from({ length: 100 }, (_, i) => visit(r, batch * 100 + i)))
      await sleep(100)
    }
    // Two rounds fill the caps and warm the allocator; two more must not add anything.
    await round(0)
    await round(1)
    const warm = await ask()
    for (let r = 2; r <= 3; r++) await round(r)
    const after = await ask()
    const mb = (n: number) => `${(n / MB).toFixed(1)} MB`
    console.log(`rss after 1000 clients ${mb(warm)}, after 2000 ${mb(after)}`)
    // Uncapped, each round of 500 keeps 500 more sessions and 20 MB more retained payloads: two rounds add
    // 40 MB and more. Capped, allocator noise alone measured up to 16 MB on a clean run, so 20 MB still
    // tells the two apart by a factor of two without failing on noise.
    expect(after - warm).toBeLessThan(20 * MB)
  }, 60_000)
})
