import type { Broker } from '../broker/broker.js'
import { handleCommandTopic } from '../commands/command-topics.js'
import type { DeviceModel } from '../devices/device-model.js'
import { parseAnnouncedStatus } from '../devices/availability-mqtt.js'

/**
 * Devices connected to other nodes, as this node's command dispatcher needs them: a device another
 * node's gateway reports online on `devices/<id>/availability` may be sent commands from here (they
 * travel through the shared broker), and its acks on `devices/<id>/acks` reach the dispatcher that
 * waits for them. Returns the unsubscribes.
 */
export async function followRemoteDevices(
  broker: Broker,
  devices: DeviceModel,
): Promise<(() => Promise<void>)[]> {
  const online = new Set<string>()
  devices.onlineElsewhere.push((device) => online.has(device))
  const ackDeps = {
    dispatcher: devices.commands,
    publishResult: devices.publishCommandResult,
    // The device's own node tracks its availability; an ack here says nothing new about it.
    onAckFrom: () => undefined,
    now: () => Date.now(),
  }
  return [
    await broker.subscribeFromOtherNodes('devices/+/acks', (m) => {
      handleCommandTopic(ackDeps, m.topic, m.payload, null)
    }),
    await broker.subscribeFromOtherNodes('devices/+/availability', (m) => {
      const device = m.topic.split('/')[1] as string
      const status = parseAnnouncedStatus(m.payload)
      if (status === 'online') {
        online.add(device)
        devices.commands.deviceOnline(device)
      } else if (status === 'offline') online.delete(device)
    }),
  ]
}
