import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { NotFound } from '../errors';
import { route, type Route } from '../route';

const swaggerUiDir = path.dirname(require.resolve('swagger-ui-dist/package.json'));
const ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css',
  'swagger-ui-bundle.js': 'application/javascript',
  'swagger-ui-standalone-preset.js': 'application/javascript',
  'favicon-32x32.png': 'image/png',
};

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>omega API reference</title>
  <link rel="stylesheet" href="/docs/assets/swagger-ui.css">
  <link rel="icon" href="/docs/assets/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/docs/assets/swagger-ui-bundle.js"></script>
  <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
  <script src="/docs/init.js"></script>
</body>
</html>`;

const DOCS_INIT = `window.ui = SwaggerUIBundle({
  url: '/openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});`;

/** The OpenAPI description and a rendered reference, served from the installed package (no CDN). */
export function docsRoutes(document: object): Route[] {
  return [
    route({
      method: 'get', path: '/openapi.json', tag: 'documentation', summary: 'OpenAPI 3.1 description', access: 'public', hidden: true,
      responses: { 200: { description: 'The description' } },
      handler: async (ctx) => {
        ctx.body = document;
      },
    }),
    route({
      method: 'get', path: '/docs', tag: 'documentation', summary: 'API reference', access: 'public', hidden: true,
      responses: { 200: { description: 'HTML page' } },
      handler: async (ctx) => {
        ctx.type = 'text/html';
        ctx.body = DOCS_PAGE;
      },
    }),
    route({
      method: 'get', path: '/docs/init.js', tag: 'documentation', summary: 'Reference page script', access: 'public', hidden: true,
      responses: { 200: { description: 'Script' } },
      handler: async (ctx) => {
        ctx.type = 'application/javascript';
        ctx.body = DOCS_INIT;
      },
    }),
    route({
      method: 'get', path: '/docs/assets/{file}', tag: 'documentation', summary: 'Reference page assets', access: 'public', hidden: true,
      params: z.object({ file: z.string() }),
      responses: { 200: { description: 'Asset' } },
      handler: async (ctx, { params }) => {
        const type = ASSETS[params.file];
        if (!type) throw new NotFound();
        ctx.type = type;
        ctx.set('Cache-Control', 'public, max-age=86400');
        ctx.body = await readFile(path.join(swaggerUiDir, params.file));
      },
    }),
  ];
}
