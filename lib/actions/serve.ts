/**
 * Serves a request on the URL of a custom action (`/posts/<pk>/publish/`, `/posts/publish-all/`): the
 * view's pipeline as for its methods — verb and Accept checks, `ctx.state.mongorest`, authentication,
 * the nested parent, the `permissions` table (deny by default), an alias, the view's `dispatch` — then
 * runs the action (run.ts). OPTIONS lists the action's verb when the caller may use it.
 */
import { authenticate, isAuthenticated } from '../auth/authentication.js';
import { checkMethodPermission } from '../auth/roles.js';
import { MethodNotAllowed, NotAcceptable } from '../errors.js';
import { JSON_TYPE } from '../http/json.js';
import type { ViewBinding } from '../serve/binding.js';
import { announce, dispatchThrough } from '../serve/dispatch.js';
import { answerOptions, withHeadAndOptions } from '../serve/options.js';
import type { RequestContext } from '../types.js';
import type { Action } from './action.js';
import { runAction } from './run.js';

/** Serves `action` of `binding`'s view (`pk`: the document's, for an item action). */
export async function serveAction(ctx: RequestContext, binding: ViewBinding, action: Action, pk?: string): Promise<void> {
  if (ctx.method === 'OPTIONS') return answerOptions(ctx, binding, [[action.verb, [action.name]]]);
  const verb = ctx.method === 'HEAD' ? 'GET' : ctx.method;
  if (verb !== action.verb) throw new MethodNotAllowed(withHeadAndOptions([action.verb]));
  if (!ctx.accepts(JSON_TYPE)) throw new NotAcceptable();
  const { view, strategies } = binding;
  const resource = binding.newResource(ctx);
  announce(ctx, action.name, view, resource);
  const authenticated = isAuthenticated(ctx, await authenticate(ctx, strategies));
  if (authenticated) ctx.set('Cache-Control', 'private, no-cache');
  await binding.narrowToParent(ctx, resource);
  await checkMethodPermission(ctx, view.permissions, action.name, strategies);
  // `/users/me/<action>/`: the alias stands for the caller's pk, as on the item URL itself.
  if (action.target === 'item' && pk !== undefined && binding.aliases.has(pk)) pk = await binding.aliases.resolve(ctx, pk, authenticated, strategies);
  const body = { limit: binding.settings.bodyLimit };
  return dispatchThrough(view, ctx, action.name, () => runAction(ctx, resource, action, body, pk));
}
