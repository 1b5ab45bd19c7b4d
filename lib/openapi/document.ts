/**
 * The OpenAPI 3.1 document of a set of registered views: `info` (options, else the app's package.json,
 * else `{ title: 'API', version: '0.0.0' }`), paths, tags and components.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SchemaComponents } from './components.js';
import { UniqueNames } from './names.js';
import { viewPaths } from './operations.js';
import { sharedResponses } from './responses.js';
import { SecuritySchemes } from './security.js';
import type { ViewSource } from './source.js';
import type { OpenApiDocument, OpenApiInfo, OpenApiOptions } from './types.js';

export const jsonSchemaDialect = 'https://spec.openapis.org/oas/3.1/dialect/base';

/** `name`, `version` and `description` of the package.json in the working directory, if there is one. */
export function packageInfo(directory = process.cwd()): Partial<OpenApiInfo> {
  try {
    const pkg = JSON.parse(readFileSync(path.join(directory, 'package.json'), 'utf8')) as Record<string, unknown>;
    const info: Partial<OpenApiInfo> = {};
    if (typeof pkg.name === 'string' && pkg.name !== '') info.title = pkg.name;
    if (typeof pkg.version === 'string' && pkg.version !== '') info.version = pkg.version;
    if (typeof pkg.description === 'string' && pkg.description !== '') info.description = pkg.description;
    return info;
  } catch {
    return {};
  }
}

/** A document, and for each view (by registered name) the component describing its documents. */
export interface DescribedApi {
  document: OpenApiDocument;
  outputs: ReadonlyMap<string, string>;
}

export function buildDocument(views: readonly ViewSource[], options: OpenApiOptions = {}): OpenApiDocument {
  return describeApi(views, options).document;
}

export function describeApi(views: readonly ViewSource[], options: OpenApiOptions = {}): DescribedApi {
  // The package's description describes the package, not necessarily an API titled otherwise.
  const fromPackage = packageInfo();
  const info: OpenApiInfo = options.info
    ? { ...options.info, title: options.info.title ?? fromPackage.title ?? 'API', version: options.info.version ?? fromPackage.version ?? '0.0.0' }
    : { title: 'API', version: '0.0.0', ...fromPackage };
  const schemas = new SchemaComponents(new UniqueNames());
  const security = new SecuritySchemes();
  const { responses, headers } = sharedResponses(schemas);
  const context = { schemas, security, operationIds: new UniqueNames(), tags: new UniqueNames() };
  const tags: OpenApiDocument['tags'] = [];
  const paths: OpenApiDocument['paths'] = {};
  const outputs = new Map<string, string>();
  for (const view of views) {
    const described = viewPaths(view, context);
    tags.push(described.tag);
    Object.assign(paths, described.paths);
    outputs.set(view.name, String(schemas.output(view.resource).$ref).slice('#/components/schemas/'.length));
  }
  const document: OpenApiDocument = {
    openapi: '3.1.0',
    info,
    jsonSchemaDialect,
    ...(options.servers ? { servers: options.servers } : {}),
    tags,
    paths,
    components: { schemas: schemas.schemas, responses, headers, securitySchemes: security.schemes },
  };
  return { document, outputs };
}

/**
 * The schema of one component as a standalone JSON Schema document: the component itself, with every
 * component it refers to under `$defs` (references rewritten to `#/$defs/…`).
 */
export function standaloneSchema(document: OpenApiDocument, name: string): Record<string, unknown> {
  const { schemas } = document.components;
  const needed = new Set<string>();
  const visit = (value: unknown): void => {
    if (Array.isArray(value)) return value.forEach(visit);
    if (value === null || typeof value !== 'object') return;
    for (const [key, item] of Object.entries(value)) {
      if (key === '$ref' && typeof item === 'string' && item.startsWith('#/components/schemas/')) {
        const target = item.slice('#/components/schemas/'.length);
        if (!needed.has(target)) {
          needed.add(target);
          visit(schemas[target]);
        }
      } else visit(item);
    }
  };
  visit(schemas[name]);
  const rewrite = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(rewrite);
    if (value === null || typeof value !== 'object') return value;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) {
      out[key] =
        (key === '$ref' || key === 'mapping') && typeof item === 'string'
          ? item.replace('#/components/schemas/', '#/$defs/')
          : key === 'mapping' && item && typeof item === 'object'
            ? Object.fromEntries(Object.entries(item).map(([k, v]) => [k, String(v).replace('#/components/schemas/', '#/$defs/')]))
            : rewrite(item);
    }
    return out;
  };
  const root = rewrite(schemas[name]) as Record<string, unknown>;
  const defs = Object.fromEntries([...needed].filter((target) => target !== name).map((target) => [target, rewrite(schemas[target])]));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    ...(needed.has(name) ? { $ref: `#/$defs/${name}`, $defs: { ...defs, [name]: root } } : { ...root, ...(Object.keys(defs).length > 0 ? { $defs: defs } : {}) }),
  };
}
