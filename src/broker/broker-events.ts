import type { Aedes, Client, PublishPacket, Subscription } from 'aedes'

/**
 * The broker as features see it: messages, clients and subscriptions in tidegate's own types. Nothing
 * outside src/broker/ imports `aedes`; a feature that needs more from the broker asks for it here.
 */

/** A message through the broker (a device's publish, or the gateway's own). */
export interface BrokerMessage {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1 | 2
  readonly retain: boolean
}

/** An MQTT client as features see it. */
export interface BrokerClient {
  readonly id: string
  /** False once the connection is gone (e.g. a will published after the drop). */
  readonly connected: boolean
}

/** How a client left: `clean` when it sent DISCONNECT; `will` when it had left a will message. */
export interface ClientGone {
  clean: boolean
  will: boolean
}

/** Stops a listener; safe to call twice and after the broker closed. */
export type Unlisten = () => void

// Aedes' payload type allows strings; on the wire (and from broker.publish) it is always a Buffer.
const asMessage = (packet: PublishPacket) => packet as unknown as BrokerMessage

export function onPublish(
  aedes: Aedes,
  listener: (message: BrokerMessage, client: BrokerClient | null) => void,
): Unlisten {
  const fn = (packet: PublishPacket, client: Client | null) => listener(asMessage(packet), client)
  aedes.on('publish', fn)
  return () => aedes.off('publish', fn)
}

export function onClientConnect(
  aedes: Aedes,
  listener: (client: BrokerClient, options: { will: boolean }) => void,
): Unlisten {
  const fn = (client: Client) => listener(client, { will: Boolean((client as { will?: unknown }).will) })
  aedes.on('client', fn)
  return () => aedes.off('client', fn)
}

/** Tracks wills from CONNECT: by the time a client is gone, Aedes may have published and cleared its will. */
export function onClientDisconnect(
  aedes: Aedes,
  listener: (client: BrokerClient, how: ClientGone) => void,
): Unlisten {
  const withWill = new WeakSet<Client>()
  const onConnect = (client: Client) => {
    if ((client as { will?: unknown }).will) withWill.add(client)
  }
  const fn = (client: Client) => {
    // Aedes marks a client that sent DISCONNECT; anything else is a lost connection.
    const clean = (client as unknown as { _disconnected?: boolean })._disconnected === true
    listener(client, { clean, will: withWill.has(client) })
  }
  aedes.on('client', onConnect)
  aedes.on('clientDisconnect', fn)
  return () => {
    aedes.off('client', onConnect)
    aedes.off('clientDisconnect', fn)
  }
}

export function onSubscribe(
  aedes: Aedes,
  listener: (filters: readonly string[], client: BrokerClient) => void,
): Unlisten {
  const fn = (subscriptions: Subscription[], client: Client) =>
    listener(
      subscriptions.map((s) => s.topic),
      client,
    )
  aedes.on('subscribe', fn)
  return () => aedes.off('subscribe', fn)
}

/**
 * An internal subscription (journal, serial commands): `deliver` runs for each matching message and the
 * broker moves on when it returns. Resolves once subscribed, with the function that unsubscribes.
 */
export async function subscribeInternal(
  aedes: Aedes,
  filter: string,
  deliver: (message: BrokerMessage) => void,
): Promise<() => Promise<void>> {
  const fn = (packet: PublishPacket, done: () => void) => {
    try {
      deliver(asMessage(packet))
    } finally {
      done()
    }
  }
  await new Promise<void>((resolve) => aedes.subscribe(filter, fn, () => resolve()))
  return () =>
    new Promise<void>((resolve) => {
      // Closed: nothing left to unsubscribe from (and a Redis bus without Redis would never answer).
      if (aedes.closed) return resolve()
      try {
        aedes.unsubscribe(filter, fn, () => resolve())
      } catch {
        // The broker stops first and may already be gone: nothing left to unsubscribe from.
        resolve()
      }
    })
}
