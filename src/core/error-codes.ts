/**
 * Every stable error code an operator or a script can match on, with its meaning in one line.
 * A code names a kind of problem, not a message: messages may be reworded, a code keeps its meaning.
 * docs/errors.md lists each code (where it comes from, what to do); test/core/error-codes.test.ts fails
 * when the two disagree or when src/ uses a `TG_` string that is not here.
 */
export const ERROR_CODES = {
  // The gateway config (config/gateway.yaml) and the environment that overrides it.
  TG_CONFIG_UNREADABLE: 'the config file cannot be read',
  TG_CONFIG_SYNTAX: 'the config file is not valid YAML',
  TG_CONFIG_UNKNOWN_KEY: 'a config key the gateway does not know (often a typo)',
  TG_CONFIG_MISSING_KEY: 'a required config key is missing',
  TG_CONFIG_INVALID: 'a config value has the wrong type, range or form',
  TG_CONFIG_CONFLICT: 'config values that do not fit together',
  TG_CONFIG_UNKNOWN_NAME: 'a config value names a role, device type or field that does not exist',
  TG_CONFIG_DUPLICATE: 'a config entry that must be unique appears twice',
  TG_CONFIG_FILE_UNREADABLE: 'a file the config names (certificate, key, password file) cannot be read',
  TG_CONFIG_SECRET_FILE: 'a TIDEGATE_..._FILE secret file cannot be read',

  // The device catalog: one YAML file per device type.
  TG_CATALOG_FOLDER_UNREADABLE: 'the catalog folder cannot be read',
  TG_CATALOG_UNREADABLE: 'a device type file cannot be read',
  TG_CATALOG_SYNTAX: 'a device type file is not valid YAML',
  TG_CATALOG_UNKNOWN_KEY: 'a key a device type file does not know',
  TG_CATALOG_MISSING_KEY: 'a required key of a device type file is missing',
  TG_CATALOG_INVALID: 'a device type value has the wrong type or form',
  TG_CATALOG_TOPIC_INVALID: 'a topic pattern of a device type is not valid',
  TG_CATALOG_SCHEMA_INVALID: 'the payload JSON Schema of a device type is not valid',
  TG_CATALOG_UNDECLARED_NAME: 'a tag or field that the payload schema does not declare',
  TG_CATALOG_DUPLICATE_TYPE: 'two files declare the same device type',
  TG_CATALOG_COMMAND_SCHEMA_INVALID: 'the params JSON Schema of a device command is not valid',

  // The device registry (registry.yaml).
  TG_REGISTRY_NOT_FOUND: 'the registry file named by devices.registry does not exist',
  TG_REGISTRY_UNREADABLE: 'the registry file cannot be read',
  TG_REGISTRY_SYNTAX: 'the registry file is not valid YAML',
  TG_REGISTRY_UNKNOWN_KEY: 'a key a registry entry does not know',
  TG_REGISTRY_MISSING_KEY: 'a required key of the registry is missing',
  TG_REGISTRY_INVALID: 'a registry value has the wrong type or form',
  TG_REGISTRY_UNKNOWN_TYPE: 'a registered device names a type the catalog does not have',
  TG_REGISTRY_DUPLICATE_ID: 'two registry entries have the same device id',

  // Rule files: YAML rules and rules in code (*.rule.mjs, *.rule.ts).
  TG_RULE_FOLDER_UNREADABLE: 'the rules folder cannot be read',
  TG_RULE_UNREADABLE: 'a rule file cannot be read',
  TG_RULE_PARSE: 'a rule file is not valid YAML, or not a mapping of keys',
  TG_RULE_UNKNOWN_KEY: 'a key a rule file does not know',
  TG_RULE_MISSING_KEY: 'a required key of a rule file is missing',
  TG_RULE_INVALID: 'a rule value has the wrong type or form',
  TG_RULE_SHAPE: 'rule keys that do not fit together (a window without aggregates, "clear" without "when")',
  TG_RULE_EXPRESSION: 'an expression (where, when, key, aggregate) does not compile or has the wrong type',
  TG_RULE_TEMPLATE: 'a message or action template is not valid',
  TG_RULE_DUPLICATE_ID: 'two rule files use the same rule id',
  TG_RULE_UNKNOWN_TYPE: 'a rule reads a device type the catalog does not have',
  TG_RULE_CODE_LOAD: 'a code rule does not compile or cannot be imported',
  TG_RULE_CODE_EXPORT: 'a code rule does not export what a rule needs (default function, valid id)',
  TG_RULE_BUILD: "building a rule's pipeline threw",

  // Simulator scenarios (tidegate-sim --scenario FILE).
  TG_SCENARIO_UNREADABLE: 'the scenario file cannot be read',
  TG_SCENARIO_SYNTAX: 'the scenario file is not valid YAML',
  TG_SCENARIO_UNKNOWN_KEY: 'a key a scenario does not know',
  TG_SCENARIO_MISSING_KEY: 'a required key of a scenario is missing',
  TG_SCENARIO_INVALID: 'a scenario value has the wrong type or form',
  TG_SCENARIO_REFERENCE: 'a scenario names a zone or field that is not declared (before it)',

  // The command line.
  TG_CLI_USAGE: 'a command-line argument is missing, unknown or malformed',
  TG_CLI_UNREACHABLE: 'the CLI cannot reach the gateway, its broker or InfluxDB',
  TG_CLI_NO_OUTCOME: 'the command got no final outcome in time',
  TG_CLI_NOT_MANAGED:
    'the command does not apply to this setup (influx status on api v2, or without its database)',
  TG_CLI_PASSWORD: 'tidegate passwd read an empty or mistyped password',
  TG_CLI_FAILED: 'the command failed for a reason without its own code (the message says which)',
  TG_REPLAY_INPUT: 'a recording cannot be read, or one of its lines is not a message',
} as const satisfies Record<string, string>

export type ErrorCode = keyof typeof ERROR_CODES

/** The codes for the problems every operator YAML file can have, for one kind of file. */
export interface YamlFileCodes {
  unreadable: ErrorCode
  syntax: ErrorCode
  unknownKey: ErrorCode
  missingKey: ErrorCode
  invalid: ErrorCode
}

export const CONFIG_FILE: YamlFileCodes = {
  unreadable: 'TG_CONFIG_UNREADABLE',
  syntax: 'TG_CONFIG_SYNTAX',
  unknownKey: 'TG_CONFIG_UNKNOWN_KEY',
  missingKey: 'TG_CONFIG_MISSING_KEY',
  invalid: 'TG_CONFIG_INVALID',
}

export const DEVICE_TYPE_FILE: YamlFileCodes = {
  unreadable: 'TG_CATALOG_UNREADABLE',
  syntax: 'TG_CATALOG_SYNTAX',
  unknownKey: 'TG_CATALOG_UNKNOWN_KEY',
  missingKey: 'TG_CATALOG_MISSING_KEY',
  invalid: 'TG_CATALOG_INVALID',
}

export const REGISTRY_FILE: YamlFileCodes = {
  unreadable: 'TG_REGISTRY_UNREADABLE',
  syntax: 'TG_REGISTRY_SYNTAX',
  unknownKey: 'TG_REGISTRY_UNKNOWN_KEY',
  missingKey: 'TG_REGISTRY_MISSING_KEY',
  invalid: 'TG_REGISTRY_INVALID',
}

export const RULE_FILE: YamlFileCodes = {
  unreadable: 'TG_RULE_UNREADABLE',
  syntax: 'TG_RULE_PARSE',
  unknownKey: 'TG_RULE_UNKNOWN_KEY',
  missingKey: 'TG_RULE_MISSING_KEY',
  invalid: 'TG_RULE_INVALID',
}

export const SCENARIO_FILE: YamlFileCodes = {
  unreadable: 'TG_SCENARIO_UNREADABLE',
  syntax: 'TG_SCENARIO_SYNTAX',
  unknownKey: 'TG_SCENARIO_UNKNOWN_KEY',
  missingKey: 'TG_SCENARIO_MISSING_KEY',
  invalid: 'TG_SCENARIO_INVALID',
}

/** The code of a schema error: unknown and missing keys have their own, every other violation is `invalid`. */
export function schemaErrorCode(codes: YamlFileCodes, keyword: string): ErrorCode {
  if (keyword === 'additionalProperties') return codes.unknownKey
  if (keyword === 'required') return codes.missingKey
  return codes.invalid
}
