import { Ajv, type ValidateFunction } from 'ajv'
import addFormatsModule from 'ajv-formats'
import { toMs } from '../core/duration.js'
import { DEVICE_TYPE_FILE } from '../core/error-codes.js'
import type { FileError } from '../core/file-errors.js'
import { parseYamlFile } from '../core/yaml-source.js'
import type { DeviceType } from '../devices/catalog.js'

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv

/** A command ready to check and send: compiled params validator and the effective delivery policy. */
export interface CompiledCommand {
  type: string
  name: string
  validate: ValidateFunction
  timeoutMs: number
  retries: number
}

export interface CommandDefaults {
  timeoutMs: number
  retries: number
}

/** Every command of every device type, compiled once at start. */
export class CommandCatalog {
  private constructor(private readonly byType: ReadonlyMap<string, ReadonlyMap<string, CompiledCommand>>) {}

  /** Compiles the `commands:` of each type; a schema that does not compile is reported and left out. */
  static compile(
    types: ReadonlyMap<string, DeviceType>,
    defaults: CommandDefaults,
  ): { catalog: CommandCatalog; errors: FileError[] } {
    const ajv = new Ajv({ allErrors: true, strict: false })
    addFormats(ajv)
    const errors: FileError[] = []
    const byType = new Map<string, Map<string, CompiledCommand>>()
    for (const type of types.values()) {
      const commands = new Map<string, CompiledCommand>()
      for (const [name, def] of Object.entries(type.definition.commands ?? {})) {
        let validate: ValidateFunction
        try {
          validate = ajv.compile(def.params)
        } catch (err) {
          const source = parseYamlFile(type.file, DEVICE_TYPE_FILE)
          errors.push({
            file: type.file,
            ...source.locate(['commands', name, 'params']),
            code: 'TG_CATALOG_COMMAND_SCHEMA_INVALID',
            path: `/commands/${name}/params`,
            message: `invalid JSON Schema: ${(err as Error).message}`,
          })
          continue
        }
        commands.set(name, {
          type: type.name,
          name,
          validate,
          timeoutMs: def.timeout === undefined ? defaults.timeoutMs : toMs(def.timeout),
          retries: def.retries ?? defaults.retries,
        })
      }
      byType.set(type.name, commands)
    }
    return { catalog: new CommandCatalog(byType), errors }
  }

  get(type: string, name: string): CompiledCommand | undefined {
    return this.byType.get(type)?.get(name)
  }

  namesOf(type: string): string[] {
    return [...(this.byType.get(type)?.keys() ?? [])]
  }
}

/** ajv errors as one line: `/on must be boolean; must have required property 'on'`. */
export function paramErrors(validate: ValidateFunction): string {
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? e.keyword}`).join('; ')
}
