import { createServer } from 'node:net'
import { Aedes } from 'aedes'

/**
 * The baseline: a bare Aedes broker on TCP with no hooks, no validation, no sinks. It only counts the
 * publishes it receives (on IPC request) so the bench can compare the gateway against it.
 * Run as a child process: `node --import tsx bench/e2e/bare-aedes.ts <port>`.
 */
const port = Number(process.argv[2] ?? 0)
let received = 0
const aedes = await Aedes.createBroker({
  authorizePublish: (client, _packet, done) => {
    if (client) received++
    done(null)
  },
})
const server = createServer((socket) => aedes.handle(socket))
server.listen(port, '127.0.0.1', () => {
  const address = server.address()
  process.send?.({ cmd: 'listening', port: typeof address === 'object' && address ? address.port : port })
})
process.on('message', (m: { cmd: string }) => {
  if (m.cmd === 'count') process.send?.({ cmd: 'count', received })
})
process.on('SIGTERM', () => {
  server.close()
  aedes.close(() => process.exit(0))
})
