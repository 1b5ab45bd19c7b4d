/**
 * HTTP errors as data: one small class per status, each with the exact JSON body it answers with.
 * Throw them anywhere in a request; the view turns them into the response.
 */

export type ErrorBody = Record<string, unknown>;

export class HttpError extends Error {
  readonly status: number;
  readonly body: ErrorBody;
  readonly headers: Record<string, string>;

  constructor(status: number, body: ErrorBody | string, headers: Record<string, string> = {}) {
    const payload = typeof body === 'string' ? { error: body } : body;
    super(typeof payload.error === 'string' ? payload.error : `HTTP ${status}`);
    this.name = new.target.name;
    this.status = status;
    this.body = payload;
    this.headers = headers;
  }

  toJSON(): ErrorBody {
    return this.body;
  }
}

export class BadRequest extends HttpError {
  constructor(message: string | ErrorBody) {
    super(400, message);
  }
}

/** 400 with the object the app gives, e.g. `{"field-errors": {"title": "required"}}` or `{"error": "…"}`. */
export class ValidationError extends HttpError {
  constructor(body: ErrorBody | string) {
    super(400, body);
  }
}

export class Unauthorized extends HttpError {
  constructor(scheme?: string) {
    super(401, 'Unauthorized', scheme ? { 'WWW-Authenticate': scheme } : {});
  }
}

export class Forbidden extends HttpError {
  /** `headers`: e.g. the `WWW-Authenticate` of a refusal for want of a scope. */
  constructor(headers: Record<string, string> = {}) {
    super(403, 'Forbidden', headers);
  }
}

export class NotFound extends HttpError {
  constructor(message = 'Not found') {
    super(404, message);
  }
}

export class MethodNotAllowed extends HttpError {
  constructor(allowed: readonly string[]) {
    super(405, 'Method not allowed', { Allow: allowed.join(', ') });
  }
}

/** 406: the `Accept` header allows none of the media types the API answers with (flask-mongorest's wording). */
export class NotAcceptable extends HttpError {
  constructor() {
    super(406, 'Invalid Accept header requested');
  }
}

export class Conflict extends HttpError {
  constructor(body: ErrorBody) {
    super(409, body);
  }
}

/** 412: `If-Match` named a version the document no longer has (or the write found it changed). */
export class PreconditionFailed extends HttpError {
  constructor() {
    super(412, 'The document has changed since you read it.');
  }
}

/** 428: the resource requires `If-Match` on writes to an item (`Resource.requireIfMatch`). */
export class PreconditionRequired extends HttpError {
  constructor() {
    super(428, 'This request must be conditional: send If-Match with the ETag of the document.');
  }
}

export class PayloadTooLarge extends HttpError {
  constructor(limit: number) {
    super(413, `The request body is larger than the limit of ${limit} bytes.`);
  }
}

export class UnsupportedMediaType extends HttpError {
  constructor(message = 'The request body must be JSON (Content-Type: application/json).') {
    super(415, message);
  }
}

export class ServiceUnavailable extends HttpError {
  constructor(retryAfterSeconds = 1) {
    super(503, 'Service Unavailable', { 'Retry-After': String(retryAfterSeconds) });
  }
}

/**
 * 504: a write reached the database and no answer came in time, so whether it was applied is unknown.
 * No `Retry-After`: retrying blindly could apply the change twice (use an `Idempotency-Key`).
 */
export class GatewayTimeout extends HttpError {
  constructor() {
    super(504, 'The database did not answer in time; the change may or may not have been saved.');
  }
}

export class InternalServerError extends HttpError {
  constructor() {
    super(500, 'Internal Server Error');
  }
}
