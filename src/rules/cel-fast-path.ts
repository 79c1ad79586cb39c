/**
 * A fast path for the conditions operators write most (`data.power > 2900.0`,
 * `has(data.temperature) && tags.site == 'greenhouse'`, `mean > 30`): the parsed CEL tree of such an
 * expression is turned into plain JavaScript closures once, at load.
 *
 * Exactness comes first: the fast path decides only where its answer is certainly CEL's (numbers
 * against numbers, strings and booleans against equal types, fields present on plain objects). For
 * anything else (a missing key, a null, a Map, mixed types) it answers UNDECIDED and the caller
 * evaluates the whole expression with cel-js, which gives CEL's value or error. CEL has no side
 * effects, so evaluating again from the start is always correct. Expressions outside the subset
 * (arithmetic, macros, functions other than has) are not compiled at all.
 */

/** The fast path's "ask cel-js" answer. */
export const UNDECIDED: unique symbol = Symbol('undecided')

type Fast = (ctx: Record<string, unknown>) => unknown

/** The shape of cel-js's parsed tree that this file reads (`env.parse(text).ast`). */
interface CelNode {
  op: string
  args: unknown
}

const COMPARISONS = new Set(['==', '!=', '<', '<=', '>', '>='])

/** A fast evaluator of a boolean expression, or null when the expression is outside the subset. */
export function compileFastPath(ast: unknown): Fast | null {
  try {
    return condition(ast as CelNode)
  } catch {
    return null
  }
}

class Unsupported extends Error {}

function condition(node: CelNode): Fast {
  const args = node.args as CelNode[]
  switch (node.op) {
    case '&&':
      return and(condition(args[0] as CelNode), condition(args[1] as CelNode))
    case '||':
      return or(condition(args[0] as CelNode), condition(args[1] as CelNode))
    case '!_': {
      const inner = condition(args as unknown as CelNode)
      return (ctx) => {
        const v = inner(ctx)
        return typeof v === 'boolean' ? !v : UNDECIDED
      }
    }
    case 'call':
      return hasMacro(node)
    default:
      if (COMPARISONS.has(node.op)) return comparison(node.op, args[0] as CelNode, args[1] as CelNode)
      throw new Unsupported(node.op)
  }
}

// CEL's && and || absorb an error on one side when the other side decides (false && error = false);
// here: the left side decides or the right side's boolean is the answer, anything else asks cel-js.
function and(left: Fast, right: Fast): Fast {
  return (ctx) => {
    const l = left(ctx)
    if (l === false) return false
    if (l !== true) return UNDECIDED
    const r = right(ctx)
    return typeof r === 'boolean' ? r : UNDECIDED
  }
}

function or(left: Fast, right: Fast): Fast {
  return (ctx) => {
    const l = left(ctx)
    if (l === true) return true
    if (l !== false) return UNDECIDED
    const r = right(ctx)
    return typeof r === 'boolean' ? r : UNDECIDED
  }
}

/** `has(a.b)`: the field is present on a plain object. */
function hasMacro(node: CelNode): Fast {
  const [name, callArgs] = node.args as [string, CelNode[]]
  const target = callArgs?.[0]
  if (name !== 'has' || callArgs.length !== 1 || target?.op !== '.') throw new Unsupported('call')
  const [baseNode, field] = target.args as [CelNode, string]
  if (typeof field !== 'string') throw new Unsupported('has')
  const base = path(baseNode)
  return (ctx) => {
    const o = base(ctx)
    if (!isPlainObject(o)) return UNDECIDED
    return Object.hasOwn(o, field) && o[field] !== undefined
  }
}

function comparison(op: string, leftNode: CelNode, rightNode: CelNode): Fast {
  const left = operand(leftNode)
  const right = operand(rightNode)
  const compare = COMPARE[op] as (a: unknown, b: unknown) => boolean
  const equality = op === '==' || op === '!='
  return (ctx) => {
    const a = left(ctx)
    const b = right(ctx)
    if (typeof a === 'number' && typeof b === 'number') return compare(a, b)
    // Strings order by code point in CEL and by UTF-16 unit in JS: only (in)equality is decided here.
    if (equality && typeof a === typeof b && (typeof a === 'string' || typeof a === 'boolean'))
      return compare(a, b)
    return UNDECIDED
  }
}

const COMPARE: Record<string, (a: unknown, b: unknown) => boolean> = {
  '==': (a, b) => a === b,
  '!=': (a, b) => a !== b,
  '<': (a, b) => (a as number) < (b as number),
  '<=': (a, b) => (a as number) <= (b as number),
  '>': (a, b) => (a as number) > (b as number),
  '>=': (a, b) => (a as number) >= (b as number),
}

/** A literal or a variable path; an int literal becomes a number only when that is exact. */
function operand(node: CelNode): Fast {
  if (node.op === 'value') {
    const v = node.args
    if (typeof v === 'bigint') {
      if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) throw new Unsupported('int')
      const n = Number(v)
      return () => n
    }
    if (typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean') return () => v
    throw new Unsupported('literal')
  }
  return path(node)
}

/** `name` or `name.field.field…`; a missing variable or field is UNDECIDED (cel-js reports it). */
function path(node: CelNode): Fast {
  if (node.op === 'id') {
    const name = node.args
    if (typeof name !== 'string') throw new Unsupported('id')
    return (ctx) => {
      const v = ctx[name]
      return v === undefined ? UNDECIDED : v
    }
  }
  if (node.op === '.') {
    const [baseNode, field] = node.args as [CelNode, string]
    if (typeof field !== 'string') throw new Unsupported('.')
    const base = path(baseNode)
    return (ctx) => {
      const o = base(ctx)
      if (!isPlainObject(o) || !Object.hasOwn(o, field)) return UNDECIDED
      const v = o[field]
      return v === undefined ? UNDECIDED : v
    }
  }
  throw new Unsupported(node.op)
}

/** JSON-shaped objects only: Maps, arrays and class instances are left to cel-js. */
function isPlainObject(o: unknown): o is Record<string, unknown> {
  if (typeof o !== 'object' || o === null) return false
  const proto = Object.getPrototypeOf(o)
  return proto === Object.prototype || proto === null
}
