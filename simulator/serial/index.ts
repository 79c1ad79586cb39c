/** Library API of the serial device simulator (the simulator CLI and tests use it). */
export {
  encodeFrame,
  encodeText,
  lengthPrefixEncode,
  type Reading,
  slipEncode,
  type WireCodec,
  type WireFormat,
  type WireFraming,
} from './frames.js'
export { type PtyPair, startPtyPair } from './pty-pair.js'
export { type PlayingDevice, type PlayOptions, playSerialDevice, SerialDeviceEnd } from './serial-device.js'
export { startWiredSensor, type WiredSensor, type WiredSensorOptions } from './wired-sensor.js'
