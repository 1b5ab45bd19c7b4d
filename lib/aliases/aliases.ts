/**
 * Aliases: item URLs whose pk is a function of the request — `aliases = { me: (ctx) => ctx.state.user?.id }`
 * on a view serves `GET/PUT/PATCH/DELETE /users/me/` as the item URL of the caller's own document. The
 * names are checked at registration; the function runs after authentication and the `permissions` table.
 */
import { unauthorizedFor, type AuthenticationBase } from '../auth/authentication.js';
import { NotFound } from '../errors.js';
import { castId } from '../query/ids.js';
import type { ResourceMeta } from '../resource-meta.js';
import type { MaybePromise, RequestContext } from '../types.js';

/**
 * Gives the pk of the document an alias stands for in this request (a string, number or ObjectId), or
 * `undefined`/`null` for none: then 401 when the request is not authenticated, 404 when it is. Runs after
 * authentication (`ctx.state.user` is set); may be async; throwing answers 500.
 */
export type AliasFunction = (ctx: RequestContext) => MaybePromise<unknown>;

/** A view's `aliases`: URL segment → the function giving the pk it stands for. */
export type ViewAliases = Readonly<Record<string, AliasFunction>>;

/** RFC 3986 unreserved characters, not starting with a dot (so never `.` or `..`): literal in any URL. */
const aliasName = /^[A-Za-z0-9_~-][A-Za-z0-9._~-]*$/;
const MAX_NAME_LENGTH = 64;

/** The aliases of one view, checked. */
export class AliasTable {
  private readonly functions = new Map<string, AliasFunction>();

  /**
   * @param reserved other names the view serves at `<collection URL><name>` (the schema endpoint,
   * collection actions), with what they are, for the error message.
   */
  constructor(aliases: unknown, viewName: string, meta: ResourceMeta, reserved: ReadonlyMap<string, string> = new Map()) {
    if (aliases === undefined) return;
    if (aliases === null || typeof aliases !== 'object' || Array.isArray(aliases)) {
      throw new TypeError(`${viewName}.aliases must be an object mapping URL segments to functions (ctx) => pk.`);
    }
    const idType = (meta.schema.path('_id') as { instance?: string } | undefined)?.instance;
    for (const [name, resolve] of Object.entries(aliases as Record<string, unknown>)) {
      if (!aliasName.test(name) || name.length > MAX_NAME_LENGTH) {
        throw new TypeError(
          `${viewName}.aliases: ${JSON.stringify(name)} is not a literal URL segment (letters, digits, "-", "_", "~" and inner ".", at most ${MAX_NAME_LENGTH} characters).`,
        );
      }
      if (typeof resolve !== 'function') throw new TypeError(`${viewName}.aliases.${name} must be a function (ctx) => pk.`);
      const taken = reserved.get(name);
      if (taken !== undefined) throw new TypeError(`${viewName}.aliases: ${JSON.stringify(name)} is already ${taken} of this view.`);
      // Where the name could be a real pk (ObjectId, number, UUID ids), the alias would hide that document.
      // String ids accept every segment: there the alias takes precedence (docs/decisions.md).
      if (idType !== 'String' && castId(meta.schema, name) !== undefined) {
        throw new TypeError(`${viewName}.aliases: ${JSON.stringify(name)} is also a valid ${idType ?? ''} pk of ${meta.model.modelName}; the alias would hide that document.`);
      }
      this.functions.set(name, resolve as AliasFunction);
    }
  }

  /** The alias names, in declaration order. */
  get names(): string[] {
    return [...this.functions.keys()];
  }

  has(segment: string | undefined): segment is string {
    return segment !== undefined && this.functions.has(segment);
  }

  /**
   * The pk (as a route segment) that alias `name` stands for in this request. No pk: 401 with the
   * strategies' challenges when the request is not `authenticated`, 404 when it is.
   */
  async resolve(ctx: RequestContext, name: string, authenticated: boolean, strategies: readonly AuthenticationBase[]): Promise<string> {
    const value = await this.functions.get(name)!(ctx);
    if (value === undefined || value === null) throw authenticated ? new NotFound() : unauthorizedFor(strategies, ctx);
    if (typeof value === 'string') {
      if (value === '') throw new NotFound();
      return value;
    }
    if ((typeof value === 'number' && Number.isFinite(value)) || typeof value === 'bigint') return String(value);
    if (typeof (value as { toHexString?: unknown }).toHexString === 'function') return (value as { toHexString(): string }).toHexString();
    throw new TypeError(`The alias ${JSON.stringify(name)} must give a pk (a string, number or ObjectId) or undefined; it gave ${describe(value)}.`);
  }
}

function describe(value: unknown): string {
  if (value === null || typeof value !== 'object') return typeof value;
  return `an object (${Object.prototype.toString.call(value)})`;
}

/**
 * The URL a request to an alias would have had with the pk in its place (`/api/users/me/?a=1` →
 * `/api/users/<pk>/?a=1`): idempotency keys fingerprint that, so a key used on `/users/me/` and on the
 * same document's own URL is the same request. Unchanged when the alias segment is not found as written
 * (percent-encoded in the request).
 *
 * @internal
 * @example
 * ```ts
 * resolvedUrl('/api/users/me/?_fields=name', 'me', '64f…'); // '/api/users/64f…/?_fields=name'
 * ```
 */
export function resolvedUrl(originalUrl: string, name: string, pk: string): string {
  const queryAt = originalUrl.indexOf('?');
  const path = queryAt === -1 ? originalUrl : originalUrl.slice(0, queryAt);
  const query = queryAt === -1 ? '' : originalUrl.slice(queryAt);
  const slash = path.endsWith('/') ? '/' : '';
  const trimmed = slash ? path.slice(0, -1) : path;
  if (!trimmed.endsWith(`/${name}`)) return originalUrl;
  return `${trimmed.slice(0, -name.length)}${encodeURIComponent(pk)}${slash}${query}`;
}
