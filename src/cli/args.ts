import { parseArgs } from 'node:util'

export const DEFAULT_CONFIG = 'config/gateway.yaml'

/** `--config FILE` (or TIDEGATE_CONFIG) plus any subcommand-specific options. */
export function configPathFrom(values: { config?: string | undefined }): string {
  return values.config ?? process.env['TIDEGATE_CONFIG'] ?? DEFAULT_CONFIG
}

export function parseCommonArgs(argv: string[]) {
  return parseArgs({
    args: argv,
    options: { config: { type: 'string', short: 'c' } },
    allowPositionals: true,
    strict: true,
  })
}
