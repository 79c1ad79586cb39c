/**
 * MQTT topic matching for the ACL: does a topic name match a filter, and is every topic a
 * subscription filter can match also matched by a pattern (so the subscription is allowed)?
 */

/** A topic name (no wildcards) against a filter with `+` and `#` [MQTT-4.7.1]. */
export function topicMatches(filter: string, topic: string): boolean {
  // [MQTT-4.7.2-1]: wildcards at the first level do not match topics starting with `$`.
  if (topic.startsWith('$') && (filter.startsWith('+') || filter.startsWith('#'))) return false
  // Fast paths for the common patterns (`#`, `prefix/#`): this runs for every publish and delivery.
  if (filter === '#') return true
  const hash = filter.indexOf('#')
  if (hash === filter.length - 1 && filter.endsWith('/#') && filter.indexOf('+') === -1) {
    // The prefix compared in place: no string per call.
    const prefixLength = filter.length - 2
    if (topic.length < prefixLength) return false
    for (let i = 0; i < prefixLength; i++) if (topic.charCodeAt(i) !== filter.charCodeAt(i)) return false
    return topic.length === prefixLength || topic.charCodeAt(prefixLength) === 47
  }
  if (hash === -1 && filter.indexOf('+') === -1) return filter === topic
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    const level = f[i]
    if (level === '#') return true
    if (i >= t.length) return false
    if (level !== '+' && level !== t[i]) return false
  }
  return f.length === t.length
}

/** True when every topic `filter` can match is also matched by `pattern` (both may hold wildcards). */
export function filterCoveredBy(filter: string, pattern: string): boolean {
  // [MQTT-4.7.2-1]: a pattern starting with a wildcard never grants `$SYS/...`-style filters.
  if (filter.startsWith('$') && (pattern.startsWith('+') || pattern.startsWith('#'))) return false
  const f = filter.split('/')
  const p = pattern.split('/')
  for (let i = 0; i < f.length; i++) {
    const pl = p[i]
    const fl = f[i]
    if (pl === '#') return true
    if (pl === undefined) return false
    if (fl === '#') return false
    if (pl === '+') continue
    if (fl === '+' || fl !== pl) return false
  }
  // A filter shorter than the pattern only matches if the pattern ends in `/#` (parent level).
  return f.length === p.length || (p.length === f.length + 1 && p[f.length] === '#')
}

/** True when the topic matches any of the filters (a loop, not a closure per call: it runs per publish). */
export function matchesAny(filters: readonly string[], topic: string): boolean {
  for (let i = 0; i < filters.length; i++) if (topicMatches(filters[i] as string, topic)) return true
  return false
}
