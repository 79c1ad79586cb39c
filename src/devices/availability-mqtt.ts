import type { Broker, BrokerClient, BrokerMessage } from '../broker/broker.js'
import type { AvailabilityStatus, AvailabilityTracker } from './availability.js'

export interface AvailabilityMqttDeps {
  tracker: AvailabilityTracker
  /** Device id and type a topic belongs to (a catalog topic or `devices/<id>/...` of a known device). */
  deviceOfTopic: (topic: string) => { device: string; type: string } | null
  /** Type of a device id known to the registry or seen before; used for client id = device id. */
  typeOf: (device: string) => string | undefined
  /** Whether a device may be tracked at all (registered, or unknown devices allowed). */
  admitted: (device: string) => boolean
  /** The device wrote on its own availability topic: the gateway puts its view back. */
  republish: (device: string) => void
}

const AVAILABILITY_RE = /^devices\/([^/]+)\/availability$/

/** A device's own status message: `online`/`offline`, or JSON with a `status` of either. */
export function parseAnnouncedStatus(payload: Buffer): AvailabilityStatus | null {
  const text = payload.toString('utf8').trim()
  if (text === 'online' || text === 'offline') return text
  try {
    const status = (JSON.parse(text) as { status?: unknown }).status
    return status === 'online' || status === 'offline' ? status : null
  } catch {
    return null
  }
}

/**
 * Feeds the tracker from the broker: a client whose id is a device id is that device; any other client
 * becomes the device whose topics it publishes on. A dropped connection goes offline as `will` when the
 * client left a will, else `connection_lost`; a DISCONNECT packet is `disconnected`.
 */
export function wireAvailability(
  broker: Pick<Broker, 'closed' | 'onClientConnect' | 'onClientDisconnect' | 'onPublish'>,
  deps: AvailabilityMqttDeps,
): () => void {
  const devicesOfClient = new Map<string, Set<string>>()

  const bind = (client: BrokerClient, device: string, type: string) => {
    let set = devicesOfClient.get(client.id)
    if (!set) {
      set = new Set()
      devicesOfClient.set(client.id, set)
    }
    if (set.has(device)) return false
    set.add(device)
    deps.tracker.connected(device, type)
    return true
  }

  const onClient = (client: BrokerClient) => {
    const type = deps.typeOf(client.id)
    if (type && deps.admitted(client.id)) bind(client, client.id, type)
  }

  const onDisconnect = (client: BrokerClient, how: { clean: boolean; will: boolean }) => {
    // The broker closing drops every client (and fires their wills): the gateway stopped, not the devices.
    if (broker.closed) return
    const devices = devicesOfClient.get(client.id)
    devicesOfClient.delete(client.id)
    if (!devices) return
    const reason = how.clean ? 'disconnected' : how.will ? 'will' : 'connection_lost'
    for (const device of devices) deps.tracker.disconnected(device, reason)
  }

  const onPublish = (packet: BrokerMessage, client: BrokerClient | null) => {
    if (!client) return
    const own = AVAILABILITY_RE.exec(packet.topic)
    if (own) {
      const device = own[1] as string
      const type = deps.typeOf(device)
      if (!type || !deps.admitted(device)) return
      // A will arrives after the disconnect was handled; an explicit status while connected is honoured.
      if (client.connected) {
        const status = parseAnnouncedStatus(packet.payload)
        if (status) deps.tracker.announced(device, type, status)
      }
      deps.republish(device)
      return
    }
    const hit = deps.deviceOfTopic(packet.topic)
    if (hit && client.connected && deps.admitted(hit.device)) bind(client, hit.device, hit.type)
  }

  const unlisten = [
    broker.onClientConnect(onClient),
    broker.onClientDisconnect(onDisconnect),
    broker.onPublish(onPublish),
  ]
  return () => {
    for (const off of unlisten) off()
  }
}
