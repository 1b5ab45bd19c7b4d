/**
 * The shapes of an OpenAPI 3.1 document, as far as the generator writes them. Kept loose where the
 * specification is open (JSON Schemas are plain objects), strict where our code relies on a key.
 */

/** A JSON Schema (draft 2020-12, the dialect of OpenAPI 3.1), e.g. `{ type: 'string', maxLength: 200 }`. */
export type JsonSchema = { [keyword: string]: unknown };

/** The `info` object: title and version are required by OpenAPI. */
export interface OpenApiInfo {
  title: string;
  version: string;
  summary?: string;
  description?: string;
  termsOfService?: string;
  contact?: { name?: string; url?: string; email?: string };
  license?: { name: string; identifier?: string; url?: string };
}

/** A `servers` entry, e.g. `{ url: 'https://api.example.com' }`. */
export interface OpenApiServer {
  url: string;
  description?: string;
  variables?: Record<string, { default: string; enum?: string[]; description?: string }>;
}

/**
 * A security scheme object, as a custom `AuthenticationBase` subclass declares it in a static `openapi`
 * property: `{ type: 'apiKey', in: 'header', name: 'X-Secret' }`, `{ type: 'http', scheme: 'basic' }`, …
 */
export type OpenApiSecurityScheme =
  | { type: 'apiKey'; name: string; in: 'header' | 'query' | 'cookie'; description?: string }
  | { type: 'http'; scheme: string; bearerFormat?: string; description?: string }
  | { type: 'oauth2'; flows: Record<string, unknown>; description?: string }
  | { type: 'openIdConnect'; openIdConnectUrl: string; description?: string }
  | { type: 'mutualTLS'; description?: string };

export interface OpenApiParameter {
  name: string;
  in: 'query' | 'path' | 'header';
  description?: string;
  required?: boolean;
  schema: JsonSchema;
  style?: 'form' | 'simple';
  explode?: boolean;
}

export interface OpenApiHeader {
  description?: string;
  required?: boolean;
  schema: JsonSchema;
}

export interface OpenApiMediaType {
  schema: JsonSchema;
}

export interface OpenApiResponse {
  description: string;
  headers?: Record<string, OpenApiHeader | { $ref: string }>;
  content?: Record<string, OpenApiMediaType>;
}

export type OpenApiSecurityRequirement = Record<string, string[]>;

export interface OpenApiOperation {
  operationId: string;
  summary: string;
  description?: string;
  tags: string[];
  parameters?: (OpenApiParameter | { $ref: string })[];
  requestBody?: { required: boolean; description?: string; content: Record<string, OpenApiMediaType> };
  responses: Record<string, OpenApiResponse | { $ref: string }>;
  security?: OpenApiSecurityRequirement[];
}

export type OpenApiHttpMethod = 'get' | 'put' | 'post' | 'delete' | 'patch';

export type OpenApiPathItem = { parameters?: OpenApiParameter[] } & { [method in OpenApiHttpMethod]?: OpenApiOperation };

/** An OpenAPI 3.1 document, as `api.openapi()` returns it. */
export interface OpenApiDocument {
  openapi: '3.1.0';
  info: OpenApiInfo;
  jsonSchemaDialect: string;
  servers?: OpenApiServer[];
  tags: { name: string; description?: string }[];
  paths: Record<string, OpenApiPathItem>;
  components: {
    schemas: Record<string, JsonSchema>;
    responses: Record<string, OpenApiResponse>;
    headers: Record<string, OpenApiHeader>;
    securitySchemes: Record<string, OpenApiSecurityScheme>;
  };
}

/** Options of `api.openapi(options)` and of `new MongoRest({ openapi })`. */
export interface OpenApiOptions {
  /**
   * The document's `info`. Default: `name`, `version` and `description` of the app's package.json (the
   * one in the working directory), else `{ title: 'API', version: '0.0.0' }`. Keys given here win.
   */
  info?: Partial<OpenApiInfo>;
  /** The document's `servers`. Default: none (paths carry the prefix; clients use the document's host). */
  servers?: OpenApiServer[];
}
