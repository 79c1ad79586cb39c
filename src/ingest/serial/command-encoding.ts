import type { SerialCommandEncoding } from './type-schema.js'

export interface SerialCommand {
  id: string
  device: string
  name: string
  params: Record<string, unknown>
}

const PLACEHOLDER = /\{([A-Za-z_][\w.]*)\}/g

function lookup(cmd: SerialCommand, key: string): unknown {
  if (key === 'id' || key === 'device' || key === 'name') return cmd[key]
  const path = key.startsWith('params.') ? key.slice('params.'.length) : key
  let value: unknown = cmd.params
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null) return undefined
    value = (value as Record<string, unknown>)[part]
  }
  return value
}

/**
 * The bytes a command becomes on the wire: a JSON line `{"id","name","params"}`, or the type's template
 * for that command with `{placeholders}` filled in. Throws when there is no template for the command or
 * a placeholder has no value: sending half a command to an actuator is worse than sending none.
 */
export function encodeCommand(encoding: SerialCommandEncoding, cmd: SerialCommand): Buffer {
  if (encoding.encoding === 'json') {
    return Buffer.from(
      JSON.stringify({ id: cmd.id, name: cmd.name, params: cmd.params }) + encoding.terminator,
      'utf8',
    )
  }
  const template = encoding.templates?.[cmd.name]
  if (template === undefined) throw new Error(`no serial template for command "${cmd.name}"`)
  const line = template.replace(PLACEHOLDER, (_all, key: string) => {
    const value = lookup(cmd, key)
    if (value === undefined || value === null)
      throw new Error(`command "${cmd.name}" has no value for {${key}}`)
    return typeof value === 'object' ? JSON.stringify(value) : String(value)
  })
  return Buffer.from(line + encoding.terminator, 'utf8')
}
