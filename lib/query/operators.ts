/**
 * Filter operators (SPEC §6), exported as the `ops` namespace. An operator is selected by a key suffix
 * (`views__gt=3`), turns the raw query-string text into a value (`parseValue`) and that value into a
 * MongoDB condition (`prepareQuery`). Declared on a resource as a class (default options) or an
 * instance: `filters = { title: [ops.Exact, new ops.In({ allowNegation: true })] }`.
 *
 * Custom operators subclass `Operator`: set `op`, implement `prepareQuery`, and build conditions with
 * `this.condition(field, { $op: value })` (see docs/filters.md).
 */
import mongoose, { type SchemaType } from 'mongoose';
import { parseBoolean, parseCount } from './cast.js';
import { regexCondition, type Anchoring } from './regex.js';

/** Options every operator accepts: `new ops.In({ allowNegation: true })`. */
export interface OperatorOptions {
  /** Whether `field__not__op=value` is accepted (default `false`: a negated key answers 400). */
  allowNegation?: boolean;
  /**
   * Longest raw value accepted, in characters (list operators: all values of the key together); longer →
   * 400. Default: the operator class's `defaultMaxLength` (10 000; text operators 200).
   */
  maxLength?: number;
}

/** What `Operator.parseValue` gets to work with, besides the raw text. */
export interface ValueContext {
  /** The internal (schema) path being filtered, dotted for sub-documents. */
  readonly path: string;
  /** Whether the schema stores the path as an array. */
  readonly isArray: boolean;
  /**
   * Casts `text` by the schema type of the path (for arrays, the element type): Number, Date (ISO 8601),
   * Boolean, ObjectId, String, … Answers 400 naming the filter when it does not cast.
   */
  cast(text: string): unknown;
  /** Answers 400 naming the filter: `Invalid value for filter "k": expected <expected> (got "…")`. */
  invalid(expected: string): never;
}

/** A declared filter path, as `Operator.checkPath` sees it when the filters are compiled. */
export interface FilterPath {
  /** API name as declared (`'content.lang'`). */
  readonly name: string;
  /** Internal (schema) path (`'content.lang'`, renames applied). */
  readonly path: string;
  /** The schema type values are compared with (the element type for arrays); `undefined` if unknown. */
  readonly type: SchemaType | undefined;
  /** Whether the schema stores the path as an array. */
  readonly isArray: boolean;
  /** Whether the schema knows the path (a schema type, a sub-path of a Mixed, or a nested object). */
  readonly known: boolean;
}

/**
 * Base class of every operator. Subclasses set `op` and implement `prepareQuery`; the rest has defaults:
 * the value is cast by the schema type of the path, a single value is taken (the first of a repeated key).
 */
export abstract class Operator {
  /** The key suffix that selects this operator (`"gt"` in `views__gt`); `""` for the bare field name. */
  abstract readonly op: string;
  /** More suffixes selecting the same operator (Exact and Boolean also answer to `exact`). */
  readonly aliases: readonly string[] = [];
  /**
   * `true` for list operators (In, Nin): the value is comma-separated (`\,` is a literal comma, `\\` a
   * literal backslash), a repeated key adds its items, `parseValue` is called once per item, and
   * `prepareQuery` receives the array of parsed items.
   */
  readonly takesList: boolean = false;
  /** Whether `field__not__op` is accepted. */
  readonly allowNegation: boolean;
  /** Longest raw value accepted, in characters. */
  readonly maxLength: number;

  constructor(options: OperatorOptions = {}) {
    this.allowNegation = options.allowNegation ?? false;
    this.maxLength = options.maxLength ?? this.defaultMaxLength;
  }

  /**
   * `maxLength` when the options give none: generous for lists of ids, and within the request-line size
   * Node accepts. An operator class sets its own with a getter (read in the constructor, so a class field
   * would come too late): `class LongText extends ops.IContains { protected override get
   * defaultMaxLength() { return 500; } }`.
   */
  protected get defaultMaxLength(): number {
    return 10_000;
  }

  /** Every suffix that selects this operator. */
  get suffixes(): readonly string[] {
    return [this.op, ...this.aliases];
  }

  /**
   * Raw query-string text → the value handed to `prepareQuery`. Default: cast by the schema type of the
   * path. Override to parse differently; call `context.invalid("…")` to reject the text with a 400.
   */
  parseValue(text: string, context: ValueContext): unknown {
    return context.cast(text);
  }

  /**
   * Checked once per declared field when the filters are compiled (at registration): throw a `TypeError`
   * when this operator cannot filter that path. Default: the schema must know the path — a misspelled
   * filter name must not become a condition that Mongoose's `strictQuery` would silently drop. Override
   * it in an operator that filters a key of its own (not a schema path).
   */
  checkPath({ name, known }: FilterPath): void {
    if (!known) {
      throw new TypeError(`${this.constructor.name} cannot filter ${JSON.stringify(name)}: the schema has no such path.`);
    }
  }

  /**
   * The MongoDB condition for `field` (internal, dotted) and the parsed `value`; `negate` is true for
   * `field__not__op` (only when `allowNegation`). Build it with `this.condition(...)`.
   */
  abstract prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown>;

  /**
   * `{ [field]: expression }` with the operator object marked `mongoose.trusted`: the finished filter goes
   * through `mongoose.sanitizeFilter`, which lets only trusted operator objects through.
   */
  protected condition(field: string, expression: Record<string, unknown>): Record<string, unknown> {
    return { [field]: mongoose.trusted(expression) };
  }
}

/** An operator class, as declared in a filter list (instantiated with default options). */
export type OperatorClass = new (options?: OperatorOptions) => Operator;
/** An entry of a resource's filter list: an operator class or a configured instance. */
export type OperatorSpec = Operator | OperatorClass;

// ---- equality -------------------------------------------------------------------------------------

/** `field=v` / `field__exact=v`: equality (on an array: contains `v`). Negated: `$ne`. */
export class Exact extends Operator {
  readonly op: string = '';
  override readonly aliases: readonly string[] = ['exact'];
  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    return this.condition(field, negate ? { $ne: value } : { $eq: value });
  }
}

/** `field__ne=v`: not equal (missing fields match). Negated: `$eq`. */
export class Ne extends Operator {
  readonly op: string = 'ne';
  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    return this.condition(field, negate ? { $eq: value } : { $ne: value });
  }
}

// ---- comparisons ----------------------------------------------------------------------------------

abstract class Comparison extends Operator {
  protected abstract readonly mongoOperator: '$lt' | '$lte' | '$gt' | '$gte';
  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    const comparison = { [this.mongoOperator]: value };
    return this.condition(field, negate ? { $not: comparison } : comparison);
  }
}

/** `field__lt=v`: less than. Negated: `$not` (missing fields match). */
export class Lt extends Comparison {
  readonly op: string = 'lt';
  protected readonly mongoOperator = '$lt';
}

/** `field__lte=v`: less than or equal. Negated: `$not`. */
export class Lte extends Comparison {
  readonly op: string = 'lte';
  protected readonly mongoOperator = '$lte';
}

/** `field__gt=v`: greater than. Negated: `$not`. */
export class Gt extends Comparison {
  readonly op: string = 'gt';
  protected readonly mongoOperator = '$gt';
}

/** `field__gte=v`: greater than or equal. Negated: `$not`. */
export class Gte extends Comparison {
  readonly op: string = 'gte';
  protected readonly mongoOperator = '$gte';
}

// ---- lists ----------------------------------------------------------------------------------------

/** `field__in=a,b`: equal to any item (an empty list matches nothing). Negated: `$nin`. */
export class In extends Operator {
  readonly op: string = 'in';
  override readonly takesList: boolean = true;
  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    return this.condition(field, { [negate ? '$nin' : '$in']: value });
  }
}

/** `field__nin=a,b`: equal to none of the items (an empty list matches everything). Negated: `$in`. */
export class Nin extends Operator {
  readonly op: string = 'nin';
  override readonly takesList: boolean = true;
  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    return this.condition(field, { [negate ? '$in' : '$nin']: value });
  }
}

// ---- text -----------------------------------------------------------------------------------------

const textTypes = new Set(['String', 'Mixed']);

/** Literal text matched by an escaped, anchored regular expression. */
abstract class TextMatch extends Operator {
  /**
   * Much shorter than the default: an unanchored or case-insensitive pattern makes the server compare it
   * at every position of every candidate value, so its length multiplies the work of a scan (and an
   * escaped pattern may grow to 4× its text; MongoDB caps patterns at 32 KB). Searches rarely need more.
   */
  protected override get defaultMaxLength(): number {
    return 200;
  }

  protected abstract readonly anchoring: Anchoring;
  protected abstract readonly caseInsensitive: boolean;

  override parseValue(text: string): unknown {
    return text;
  }

  override checkPath(path: FilterPath): void {
    super.checkPath(path);
    const { name, type } = path;
    if (type && !textTypes.has(type.instance)) {
      throw new TypeError(`${this.constructor.name} cannot filter ${JSON.stringify(name)}: it is a ${type.instance}, not text.`);
    }
  }

  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    const regex = regexCondition(String(value), this.anchoring, this.caseInsensitive);
    return this.condition(field, negate ? { $not: regex } : regex);
  }
}

/** `field__iexact=v`: equal, ignoring case. Negated: `$not`. */
export class IExact extends TextMatch {
  readonly op: string = 'iexact';
  protected readonly anchoring = 'whole';
  protected readonly caseInsensitive = true;
}

/** `field__contains=v`: contains the text. Negated: `$not`. */
export class Contains extends TextMatch {
  readonly op: string = 'contains';
  protected readonly anchoring = 'anywhere';
  protected readonly caseInsensitive = false;
}

/** `field__icontains=v`: contains the text, ignoring case. Negated: `$not`. */
export class IContains extends TextMatch {
  readonly op: string = 'icontains';
  protected readonly anchoring = 'anywhere';
  protected readonly caseInsensitive = true;
}

/** `field__startswith=v`: starts with the text (an anchored `^…` regex: can use an index). Negated: `$not`. */
export class Startswith extends TextMatch {
  readonly op: string = 'startswith';
  protected readonly anchoring = 'start';
  protected readonly caseInsensitive = false;
}

/** `field__istartswith=v`: starts with the text, ignoring case. Negated: `$not`. */
export class IStartswith extends TextMatch {
  readonly op: string = 'istartswith';
  protected readonly anchoring = 'start';
  protected readonly caseInsensitive = true;
}

/** `field__endswith=v`: ends with the text. Negated: `$not`. */
export class Endswith extends TextMatch {
  readonly op: string = 'endswith';
  protected readonly anchoring = 'end';
  protected readonly caseInsensitive = false;
}

/** `field__iendswith=v`: ends with the text, ignoring case. Negated: `$not`. */
export class IEndswith extends TextMatch {
  readonly op: string = 'iendswith';
  protected readonly anchoring = 'end';
  protected readonly caseInsensitive = true;
}

// ---- booleans, presence, size ---------------------------------------------------------------------

/** `field=true` (`true`/`false`/`1`/`0`, anything else → 400) for boolean fields. Negated: the value inverted. */
export class Boolean extends Operator {
  readonly op: string = '';
  override readonly aliases: readonly string[] = ['exact'];
  override parseValue(text: string): unknown {
    return parseBoolean(text);
  }
  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    return this.condition(field, { $eq: (value === true) !== negate });
  }
}

/** `field__exists=true|false` (also `1`/`0`): the field is present. Negated: the value inverted. */
export class Exists extends Operator {
  readonly op: string = 'exists';
  override parseValue(text: string): unknown {
    return parseBoolean(text);
  }
  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    return this.condition(field, { $exists: (value === true) !== negate });
  }
}

/** `field__size=n`: an array with exactly `n` elements (`n` a non-negative integer). Negated: `$not`. */
export class Size extends Operator {
  readonly op: string = 'size';
  override parseValue(text: string): unknown {
    return parseCount(text);
  }
  override checkPath(path: FilterPath): void {
    super.checkPath(path);
    const { name, type, isArray } = path;
    if (type && !isArray && type.instance !== 'Mixed') {
      throw new TypeError(`${this.constructor.name} cannot filter ${JSON.stringify(name)}: it is a ${type.instance}, not an array.`);
    }
  }
  prepareQuery(field: string, value: unknown, negate: boolean): Record<string, unknown> {
    const size = { $size: value };
    return this.condition(field, negate ? { $not: size } : size);
  }
}
