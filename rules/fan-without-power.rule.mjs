/**
 * A rule in code, for what YAML cannot say: a join across device types. A fan (type `fan`) reports it
 * is on while the power meter of its zone's fan circuit (type `power-meter`, registry tag `load: fan`)
 * reads about 0 W for 30 s: the fan is stuck or its supply is cut. One alert per zone.
 *
 * `t.rx` is the gateway's rxjs, `t.ops` the rule operators (tidegate/rules): no imports, so this file
 * works from any rules folder. See docs/rules.md, "Rules in code".
 */
export const severity = 'critical'

export default function fanWithoutPower(events$, t) {
  const { defer, filter, map } = t.rx
  const { alertState, alert } = t.ops
  // defer: each subscription (a reload, a resubscription after an error) starts with empty state.
  return defer(() => {
    const zones = new Map()
    return events$.pipe(
      filter(
        (e) =>
          e.stream === 'telemetry' &&
          typeof e.tags.zone === 'string' &&
          (e.type === 'fan' || (e.type === 'power-meter' && e.tags.load === 'fan')),
      ),
      map((e) => {
        const zone = zones.get(e.tags.zone) ?? { fan: undefined, on: undefined, watts: undefined }
        zones.set(e.tags.zone, zone)
        if (e.type === 'fan') {
          zone.on = e.data.on === true
          zone.fan = e.device
        } else if (typeof e.data.power === 'number') zone.watts = e.data.power
        return { key: e.tags.zone, fan: zone.fan, on: zone.on, watts: zone.watts }
      }),
      filter((z) => z.on !== undefined && z.watts !== undefined),
      alertState({
        when: (z) => z.on && z.watts < 5,
        clear: (z) => !z.on || z.watts > 20,
        for: '30s',
      }),
      map((a) =>
        alert({
          key: a.key,
          state: a.state,
          previous: a.previous,
          since: a.since,
          at: a.at,
          repeat: a.repeat,
          device: a.value.fan,
          values: { watts: a.value.watts },
          message: `fan ${a.value.fan} (${a.key}) is on but draws ${a.value.watts} W`,
        }),
      ),
    )
  })
}
