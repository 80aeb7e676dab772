/** Literal unions that stay open: the values a cloud documents today, and any string a newer one sends. */
import * as Schema from "effect/Schema"

/**
 * Any string, typed `string & {}`: in a union with literals it keeps them (a plain `string` would
 * absorb them), so an editor offers the known values while unknown ones still type-check.
 */
const OtherString: Schema.Schema<string & {}> = Schema.make<string & {}>(Schema.String.ast)

/** A schema of the known literals that decodes any other string as well. */
export const openLiterals = <const Literals extends readonly [string, ...Array<string>]>(
  ...literals: Literals
): Schema.Schema<Literals[number] | (string & {})> => Schema.Union(Schema.Literal(...literals), OtherString)
