import { topicMatches } from '../broker/topic-match.js'
/**
 * A device topic pattern: MQTT-style levels where `{device}` captures the device id,
 * `+` matches any one level and a trailing `#` matches the rest. Example: `devices/{device}/telemetry`.
 */
export interface TopicPattern {
  source: string
  /** Returns the captured device id ('' when the pattern has no `{device}`), or null when it does not match. */
  match(topic: string): string | null
  /** The MQTT subscription filter equivalent (`{device}` → `+`). */
  filter: string
  /** Builds a concrete topic for a device id (`+`/`#` are left as they are). */
  format(device: string): string
}

export function validatePattern(pattern: string): string | null {
  if (pattern.length === 0) return 'topic pattern is empty'
  const levels = pattern.split('/')
  for (let i = 0; i < levels.length; i++) {
    const level = levels[i] as string
    if (level === '#' && i !== levels.length - 1) return '"#" must be the last level'
    if (level !== '#' && level.includes('#')) return '"#" must be a whole level'
    if (level !== '+' && level.includes('+')) return '"+" must be a whole level'
    if (level.includes('{') && level !== '{device}') return 'only a whole "{device}" level may use braces'
  }
  if (levels.filter((l) => l === '{device}').length > 1) return '"{device}" may appear once'
  return null
}

export function compilePattern(pattern: string): TopicPattern {
  const problem = validatePattern(pattern)
  if (problem) throw new Error(problem)
  const levels = pattern.split('/')
  const deviceIndex = levels.indexOf('{device}')
  const multi = levels[levels.length - 1] === '#'
  const fixed = multi ? levels.length - 1 : levels.length
  return {
    source: pattern,
    filter: levels.map((l) => (l === '{device}' ? '+' : l)).join('/'),
    format: (device) => levels.map((l) => (l === '{device}' ? device : l)).join('/'),
    match(topic) {
      const parts = topic.split('/')
      if (multi ? parts.length < fixed : parts.length !== fixed) return null
      for (let i = 0; i < fixed; i++) {
        const level = levels[i] as string
        const part = parts[i] as string
        if (level === '+') continue
        if (i === deviceIndex) {
          if (part.length === 0) return null
          continue
        }
        if (level !== part) return null
      }
      return deviceIndex >= 0 ? (parts[deviceIndex] as string) : ''
    },
  }
}

/** MQTT filter match for `+`/`#` filters (rules `from.topic`): the broker's own matcher, so rules and ACLs agree. */
export const mqttFilterMatches = topicMatches
