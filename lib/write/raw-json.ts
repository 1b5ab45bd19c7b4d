/**
 * Reads a request body as I-JSON (RFC 7493) text: UTF-8 only (a declared charset other than utf-8 → 415,
 * bytes that are not UTF-8 → 400, never replaced by U+FFFD), gzip/deflate/br decoded as they stream,
 * bounded by the byte limit (413) after decoding, then parsed. A client that goes away mid-body is
 * reported as `ClientAborted`, which is not an error of the server.
 */
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream';
import zlib from 'node:zlib';
import getRawBody from 'raw-body';
import { BadRequest, HttpError, PayloadTooLarge, UnsupportedMediaType } from '../errors.js';
import { promiseOf } from '../maybe-promise.js';
import type { RequestContext } from '../types.js';

export const INVALID_JSON = 'The request contains invalid JSON.';
export const NOT_UTF8 = 'The request body is not valid UTF-8.';
export const CHARSET_NOT_UTF8 = 'The request body must be encoded as UTF-8 (charset=utf-8).';

/**
 * The client closed the connection before its body arrived. Not a server error (never logged, never
 * `onError`); the 400 it carries goes nowhere, nobody is left to read it.
 */
export class ClientAborted extends BadRequest {
  constructor() {
    super('The client closed the connection before sending the whole body.');
  }
}

/** Throws 415 when the request declares a charset other than UTF-8 (none declared means UTF-8 for JSON). */
export function assertUtf8Charset(ctx: RequestContext): void {
  const charset = ctx.request.charset.trim().toLowerCase();
  if (charset !== '' && charset !== 'utf-8') throw new UnsupportedMediaType(CHARSET_NOT_UTF8);
}

/** The request stream with its Content-Encoding undone; 415 for an encoding we cannot decode. */
function decodedStream(ctx: RequestContext): Readable {
  const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
  const req = ctx.req;
  let decoder: zlib.Gunzip | zlib.BrotliDecompress;
  switch (encoding) {
    case '':
    case 'identity':
      return req;
    case 'gzip':
    case 'x-gzip':
    case 'deflate':
      decoder = zlib.createUnzip();
      break;
    case 'br':
      decoder = zlib.createBrotliDecompress();
      break;
    default:
      throw new UnsupportedMediaType(`Unsupported Content-Encoding ${JSON.stringify(encoding)}.`);
  }
  // pipeline (not pipe): an aborted request destroys the decoder too, so the read below ends.
  return pipeline(req, decoder, () => undefined);
}

/** Strict decoding: a byte sequence that is not UTF-8 throws instead of becoming U+FFFD. A BOM is dropped. */
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** A body's JSON text and its value. */
export interface JsonText {
  value: unknown;
  text: string;
}

/** Reads and parses the body (the stream must be unread); `undefined` for an empty body. */
export function readJsonText(ctx: RequestContext, limit: number): Promise<JsonText | undefined> {
  return promiseOf(() => {
    const stream = decodedStream(ctx);
    const encoding = ctx.get('Content-Encoding').trim().toLowerCase();
    const declared = encoding === '' || encoding === 'identity' ? ctx.get('Content-Length') : '';
    return getRawBody(stream, { limit, length: declared === '' ? undefined : declared }).then(parseJsonBytes, (error: unknown) => {
      throw translateReadError(ctx, error, limit);
    });
  });
}

/** Strict UTF-8, then JSON: 400 for bytes that are not UTF-8 or text that is not JSON; `undefined` when blank. */
function parseJsonBytes(bytes: Buffer): JsonText | undefined {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new BadRequest(NOT_UTF8);
  }
  if (text.trim() === '') return undefined;
  try {
    return { value: JSON.parse(text) as unknown, text };
  } catch {
    throw new BadRequest(INVALID_JSON);
  }
}

function translateReadError(ctx: RequestContext, error: unknown, limit: number): Error {
  if (error instanceof HttpError) return error;
  const { type, status } = error as { type?: string; status?: number };
  if (type === 'entity.too.large' || status === 413) return new PayloadTooLarge(limit);
  if (type === 'request.aborted' || ctx.req.readableAborted) return new ClientAborted();
  // A body shorter or longer than its Content-Length, or a corrupt compressed stream.
  return new BadRequest(INVALID_JSON);
}
