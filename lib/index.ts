/**
 * koa-mongorest: Mongoose models in, a complete REST API out.
 * Public API — everything an app imports comes from here.
 */
export { MongoRest, type MongoRestOptions, type RegisterOptions } from './mongorest.js';
export type { ParentOption } from './nesting/parent.js';
export {
  Resource,
  type ResourceClass,
  type ObjectsPage,
  type GetObjectOptions,
} from './resource.js';
export type { PermissionHooks } from './resource/scope.js';
export type { AliasFunction, ViewAliases } from './aliases/aliases.js';
export { ResourceView, type ResourceViewClass, type ModelOf, type MongoRestState } from './view.js';
export {
  action,
  type Action,
  type ActionTarget,
  type ActionVerb,
  type ItemActionSpec,
  type CollectionActionSpec,
  type ItemActionInput,
  type CollectionActionInput,
} from './actions/action.js';
export type { IdempotencyOptions, IdempotencySetting } from './idempotency/options.js';
export type { DocumentOf, QueryOf, RawDocumentOf, SchemaPathOf } from './typing/model.js';
export type { ApiPathOf, FieldNameOf, MethodNameOf, ResourceCheck } from './typing/check.js';
export { AuthenticationBase, AnonymousAuthentication, type AuthenticationClass, type AuthenticationSpec } from './auth/authentication.js';
export { ApiKeyAuthentication, type ApiKeyOptions } from './auth/api-key.js';
export { BearerAuthentication, type BearerOptions } from './auth/bearer.js';
export type { VerifyCredential, StaticSecrets, StaticKeyUser } from './auth/credentials.js';
export { JwtAuthentication, type JwtOptions, type JwtAlgorithm, type JwtPublicKey } from './auth/jwt.js';
export type { JWTPayload } from 'jose';
export { allow, deny, authenticated, role, rolesOf, type PermissionRule, type MethodPermissions } from './auth/roles.js';
export { scope, scopesOf } from './auth/scopes.js';
export { any, all } from './auth/combinators.js';
export * as methods from './methods.js';
export type { MethodMarker, MethodName, Verb, RouteTarget } from './methods.js';
export * as ops from './query/operators.js';
export * as operators from './query/operators.js';
export {
  Operator,
  type OperatorOptions,
  type OperatorClass,
  type OperatorSpec,
  type ValueContext,
  type FilterPath,
} from './query/operators.js';
export {
  HttpError,
  ValidationError,
  BadRequest,
  Unauthorized,
  Forbidden,
  NotFound,
  MethodNotAllowed,
  NotAcceptable,
  Conflict,
  PayloadTooLarge,
  PreconditionFailed,
  PreconditionRequired,
  UnsupportedMediaType,
  ServiceUnavailable,
  GatewayTimeout,
  InternalServerError,
  type ErrorBody,
} from './errors.js';
export type {
  OpenApiDocument,
  OpenApiOptions,
  OpenApiInfo,
  OpenApiServer,
  OpenApiSecurityScheme,
  JsonSchema,
} from './openapi/types.js';
export type { ServeOpenApiOptions } from './openapi/serve.js';
export type { AnyDocument, AnyModel, AnyQuery, PlainDocument, RequestContext } from './types.js';
