/**
 * Filter operators. (Minimal core: `Operator` and `Exact`; the full table of SPEC §6 lives here too.)
 */

export interface OperatorOptions {
  /** Whether `field__not__op=value` is accepted for this operator. */
  allowNegation?: boolean;
}

export abstract class Operator {
  /** The key suffix that selects this operator (`""` for the bare field name). */
  abstract readonly op: string;
  readonly allowNegation: boolean;

  constructor(options: OperatorOptions = {}) {
    this.allowNegation = options.allowNegation ?? false;
  }

  /** Returns the MongoDB filter fragment for `field` (internal, dotted) and the already-cast `value`. */
  abstract prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown>;
}

export type OperatorClass = new (options?: OperatorOptions) => Operator;
export type OperatorSpec = Operator | OperatorClass;

export class Exact extends Operator {
  readonly op: string = '';
  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    return { [field]: negate ? { $ne: value } : { $eq: value } };
  }
}
