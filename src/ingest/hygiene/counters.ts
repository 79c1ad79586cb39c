/** What the hygiene gates counted since start; read by metrics and tests. */
export interface HygieneCounters {
  duplicates: number
  outOfOrder: number
  /** Seq fell far below the device's highest: a restart, not a reordering. */
  seqResets: number
  skewed: number
  skewClamped: number
  skewRejected: number
  unknownRejected: number
}

export function newHygieneCounters(): HygieneCounters {
  return {
    duplicates: 0,
    outOfOrder: 0,
    seqResets: 0,
    skewed: 0,
    skewClamped: 0,
    skewRejected: 0,
    unknownRejected: 0,
  }
}

/** Prometheus samples for the counters (the metrics feature picks up any service with metricSamples()). */
export function hygieneSamples(c: HygieneCounters) {
  const counter = (name: string, help: string, value: number) => ({
    name,
    help,
    type: 'counter' as const,
    value,
  })
  return [
    counter(
      'tidegate_ingest_duplicates_total',
      'events dropped as duplicates (same device and seq)',
      c.duplicates,
    ),
    counter(
      'tidegate_ingest_out_of_order_total',
      'events older than the device’s previous event',
      c.outOfOrder,
    ),
    counter('tidegate_ingest_seq_resets_total', 'device seq restarted (device reboot)', c.seqResets),
    counter('tidegate_ingest_clock_skew_total', 'events whose time is far from arrival', c.skewed),
    counter(
      'tidegate_ingest_clock_skew_clamped_total',
      'skewed events whose time was set to arrival',
      c.skewClamped,
    ),
    counter('tidegate_ingest_clock_skew_rejected_total', 'skewed events dead-lettered', c.skewRejected),
    counter(
      'tidegate_ingest_unknown_device_rejected_total',
      'events from unregistered devices dead-lettered',
      c.unknownRejected,
    ),
  ]
}
