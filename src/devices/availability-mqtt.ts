import type { Aedes, Client, PublishPacket } from 'aedes'
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
export function wireAvailability(aedes: Aedes, deps: AvailabilityMqttDeps): () => void {
  const devicesOfClient = new Map<string, Set<string>>()
  const willOfClient = new Set<string>()

  const bind = (client: Client, device: string, type: string) => {
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

  const onClient = (client: Client) => {
    if ((client as unknown as { will?: unknown }).will) willOfClient.add(client.id)
    const type = deps.typeOf(client.id)
    if (type && deps.admitted(client.id)) bind(client, client.id, type)
  }

  const onDisconnect = (client: Client) => {
    // The broker closing drops every client (and fires their wills): the gateway stopped, not the devices.
    if (aedes.closed) return
    const devices = devicesOfClient.get(client.id)
    const hadWill = willOfClient.delete(client.id)
    devicesOfClient.delete(client.id)
    if (!devices) return
    // Aedes marks a client that sent DISCONNECT; anything else is a lost connection.
    const clean = (client as unknown as { _disconnected?: boolean })._disconnected === true
    const reason = clean ? 'disconnected' : hadWill ? 'will' : 'connection_lost'
    for (const device of devices) deps.tracker.disconnected(device, reason)
  }

  const onPublish = (packet: PublishPacket, client: Client | null) => {
    if (!client) return
    const own = AVAILABILITY_RE.exec(packet.topic)
    if (own) {
      const device = own[1] as string
      const type = deps.typeOf(device)
      if (!type || !deps.admitted(device)) return
      // A will arrives after the disconnect was handled; an explicit status while connected is honoured.
      if (client.connected) {
        const status = parseAnnouncedStatus(packet.payload as Buffer)
        if (status) deps.tracker.announced(device, type, status)
      }
      deps.republish(device)
      return
    }
    const hit = deps.deviceOfTopic(packet.topic)
    if (hit && client.connected && deps.admitted(hit.device)) bind(client, hit.device, hit.type)
  }

  aedes.on('client', onClient)
  aedes.on('clientDisconnect', onDisconnect)
  aedes.on('publish', onPublish)
  return () => {
    aedes.off('client', onClient)
    aedes.off('clientDisconnect', onDisconnect)
    aedes.off('publish', onPublish)
  }
}
