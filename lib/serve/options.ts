/**
 * OPTIONS and `Allow`: the verbs the caller may use by the view's `permissions` table (object-level hooks
 * aside: they need a document), after the same authentication as GET. CORS preflights carry no
 * credentials: they are not authenticated and list every enabled verb (the request that follows is
 * authenticated and checked as usual).
 */
import { authenticate, isAuthenticated } from '../auth/authentication.js';
import { checkMethodPermission, type MethodPermissions } from '../auth/roles.js';
import { HttpError } from '../errors.js';
import type { Verb } from '../methods.js';
import type { RequestContext } from '../types.js';
import type { ViewBinding } from './binding.js';
import { announce } from './dispatch.js';

/** `Allow` order: the verbs, HEAD after GET, OPTIONS last. */
export function withHeadAndOptions(verbs: readonly string[]): string[] {
  const allowed = [...verbs];
  if (allowed.includes('GET')) allowed.push('HEAD');
  allowed.push('OPTIONS');
  return allowed;
}

/**
 * Answers OPTIONS (204 with `Allow`) for a URL whose `routes` are each a verb and the methods (or
 * action) it may serve; `acceptPatch` is sent when PATCH is allowed.
 */
export async function answerOptions(ctx: RequestContext, binding: ViewBinding, routes: readonly [Verb, readonly string[]][], acceptPatch?: string): Promise<void> {
  const verbs = await allowedVerbs(ctx, binding, routes);
  ctx.set('Allow', verbs.join(', '));
  if (acceptPatch !== undefined && verbs.includes('PATCH')) ctx.set('Accept-Patch', acceptPatch);
  ctx.status = 204;
}

/** The `Allow` list of an OPTIONS request: each verb whose method (any of its names) the caller may use. */
async function allowedVerbs(ctx: RequestContext, binding: ViewBinding, routes: readonly [Verb, readonly string[]][]): Promise<string[]> {
  const preflight = ctx.get('Origin') !== '' && ctx.get('Access-Control-Request-Method') !== '';
  if (preflight) return withHeadAndOptions(routes.map(([verb]) => verb));
  if (isAuthenticated(ctx, await authenticate(ctx, binding.strategies))) ctx.set('Cache-Control', 'private, no-cache');
  const { permissions } = binding.view;
  if (permissions === undefined) return withHeadAndOptions(routes.map(([verb]) => verb));
  const resource = binding.newResource(ctx);
  const verbs: Verb[] = [];
  for (const [verb, names] of routes) {
    for (const name of names) {
      // Rules may read the state, as they do when the method itself is called.
      announce(ctx, name, binding.view, resource);
      if (await permits(ctx, binding, permissions, name)) {
        verbs.push(verb);
        break;
      }
    }
  }
  delete (ctx.state as Record<string, unknown>).mongorest;
  return withHeadAndOptions(verbs);
}

/** Whether the `permissions` table lets the caller use `name`; a rule that fails (not a refusal) still fails the request. */
async function permits(ctx: RequestContext, binding: ViewBinding, permissions: MethodPermissions, name: string): Promise<boolean> {
  try {
    await checkMethodPermission(ctx, permissions, name, binding.strategies);
    return true;
  } catch (error) {
    if (error instanceof HttpError && (error.status === 401 || error.status === 403)) return false;
    throw error;
  }
}
