/**
 * The API explorer: Swagger UI (from the `swagger-ui-dist` package, served from its files — no CDN, works
 * offline) at `path`, reading the OpenAPI document at `documentUrl`. This is the example app's, not the
 * library's: which UI (Swagger UI, Redoc, Scalar) and whether to ship one at all is the app's choice;
 * docs/openapi.md shows how to copy this file.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Middleware } from 'koa';

export interface ExplorerOptions {
  /** Where the page is served, e.g. `/api/docs`. */
  path: string;
  /** URL of the OpenAPI document, e.g. `/api/openapi.json`. */
  documentUrl: string;
  /** Page title. */
  title?: string;
}

const distDirectory = path.dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

/** The files of swagger-ui-dist the page loads, with their content types (nothing else is served). */
const assets: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'text/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
  'favicon-16x16.png': 'image/png',
};

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

function page(base: string, title: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>${escapeHtml(title)}</title>
  <link rel="stylesheet" href="${base}/swagger-ui.css">
  <link rel="icon" type="image/png" href="${base}/favicon-32x32.png" sizes="32x32">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="${base}/swagger-ui-bundle.js"></script>
  <script src="${base}/init.js"></script>
</body>
</html>
`;
}

/** The page's script (a file, not inline, so a strict Content-Security-Policy can allow it). */
function init(documentUrl: string): string {
  return `window.ui = SwaggerUIBundle({
  url: ${JSON.stringify(documentUrl)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: 'BaseLayout',
  displayOperationId: true,
  tryItOutEnabled: false,
});
`;
}

/**
 * Koa middleware serving the explorer at `options.path` (and its assets below it); other requests pass.
 *
 * @example
 * ```ts
 * app.use(explorer({ path: '/api/docs', documentUrl: '/api/openapi.json' }));
 * ```
 */
export function explorer(options: ExplorerOptions): Middleware {
  const base = options.path.replace(/\/+$/, '');
  const html = page(base, options.title ?? 'API explorer');
  const script = init(options.documentUrl);
  const cache = new Map<string, Buffer>();
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    if (ctx.path === base || ctx.path === `${base}/`) {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = html;
      return;
    }
    if (!ctx.path.startsWith(`${base}/`)) return next();
    const name = ctx.path.slice(base.length + 1);
    if (name === 'init.js') {
      ctx.type = 'text/javascript; charset=utf-8';
      ctx.body = script;
      return;
    }
    const type = Object.hasOwn(assets, name) ? assets[name] : undefined;
    if (type === undefined) return next();
    let content = cache.get(name);
    if (!content) {
      content = await readFile(path.join(distDirectory, name));
      cache.set(name, content);
    }
    ctx.type = type;
    ctx.set('Cache-Control', 'public, max-age=3600');
    ctx.body = content;
  };
}
