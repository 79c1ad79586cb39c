import mqttPacket from 'mqtt-packet'

/**
 * mqtt-packet (under Aedes and MQTT.js) builds a cache of 65,536 two-byte Buffers the first time it
 * writes a packet, so that a packet id or topic length is a lookup instead of a 2-byte allocation: about
 * 5 MB of heap (one object per Buffer) that every collection then walks. On a Raspberry Pi that is
 * more than a tenth of the gateway's heap, for a saving of one tiny allocation per packet written.
 * Turned off once, before any packet is written (module import order: broker.ts imports this first).
 */
mqttPacket.writeToStream.cacheNumbers = false
