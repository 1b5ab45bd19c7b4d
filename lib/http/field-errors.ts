/**
 * Mongoose validation and cast errors → `field-errors` entries, keyed by API path and worded with it:
 * no internal field names of renamed fields, no model or error-class names in the messages.
 */
import type mongoose from 'mongoose';
import { isCastError } from '../guards.js';
import type { ResourceMeta } from '../resource-meta.js';

/** `emails.1` stays `emails.1`; a renamed first segment takes its API name (`author.x` → `author_id.x`). */
export function apiPath(meta: ResourceMeta | undefined, path: string): string {
  if (!meta) return path;
  const [head, ...rest] = path.split('.');
  const api = meta.apiNames.get(head!) ?? head!;
  return [api, ...rest].join('.');
}

/** Echoed values are cut to this many characters (a 1 MB string that fails to cast is not echoed whole). */
const MAX_VALUE_CHARS = 100;
/** Mongoose type names that mean nothing to an API client. */
const kindNames: Record<string, string> = { Embedded: 'Object' };

/** `{ "<api path>": "<message>" }` for every path of a Mongoose ValidationError. */
export function fieldErrorsOf(error: mongoose.Error.ValidationError, meta: ResourceMeta | undefined): Record<string, string> {
  const fieldErrors: Record<string, string> = {};
  for (const [path, detail] of Object.entries(error.errors)) {
    const api = apiPath(meta, path);
    fieldErrors[api] = messageOf(detail, path, api);
  }
  return fieldErrors;
}

/** The message of one path's error, mentioning the API path where Mongoose mentions the internal one. */
export function messageOf(detail: Error, path: string, api: string): string {
  if (isCastError(detail) && !hasCustomMessage(detail)) return castMessage(detail);
  return path === api ? detail.message : detail.message.split(`\`${path}\``).join(`\`${api}\``);
}

function hasCustomMessage(error: mongoose.Error.CastError): boolean {
  return (error as { messageFormat?: unknown }).messageFormat != null;
}

/** Mongoose's wording without the path, model and reason: `Cast to Number failed for value "x" (type string)`. */
function castMessage(error: mongoose.Error.CastError): string {
  const kind = kindNames[error.kind] ?? error.kind;
  const raw = String(error.stringValue);
  const value = raw.length > MAX_VALUE_CHARS ? `${raw.slice(0, MAX_VALUE_CHARS)}…"` : raw;
  const valueType = (error as { valueType?: string }).valueType;
  return `Cast to ${kind} failed for value ${value}${valueType ? ` (type ${valueType})` : ''}`;
}
