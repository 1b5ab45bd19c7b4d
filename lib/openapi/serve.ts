/**
 * Serving the description: `GET <prefix>/openapi.json` (the whole document) and `GET <collection
 * URL>schema` (one resource's JSON Schema). Both are built on first use after a registration and then
 * answered from the cached text.
 */
import type { AuthenticationBase, AuthenticationSpec } from '../auth/authentication.js';
import { authenticate } from '../auth/authentication.js';
import type { RequestContext } from '../types.js';
import type { OpenApiOptions } from './types.js';

/** `new MongoRest({ openapi })`: serve the document, and how. */
export interface ServeOpenApiOptions extends OpenApiOptions {
  /** Where, under the prefix. Default `/openapi.json`. */
  path?: string;
  /**
   * Strategies that must authorize a request for the document (as on views: any one passes). Default:
   * none — the document is public.
   */
  authenticationMethods?: AuthenticationSpec[];
}

/** Answers a GET with cached JSON text after authenticating; the text is rebuilt when `current` changes. */
export async function answerJson(ctx: RequestContext, strategies: readonly AuthenticationBase[], text: () => string, type: string): Promise<void> {
  await authenticate(ctx, strategies);
  ctx.type = type;
  ctx.body = text();
}
