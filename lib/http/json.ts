/** The media type of every JSON answer (what Koa sends an object body as). */
export const JSON_TYPE = 'application/json; charset=utf-8';
