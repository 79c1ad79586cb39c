/** The MQTT fixed header's remaining-length field: 7 bits a byte, high bit set while more follow [MQTT-2.2.3]. */
export function remainingLength(n: number): Buffer {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return Buffer.from(out)
}
