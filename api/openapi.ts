import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import type { z } from 'zod';
import type { Route } from './route';

const SECURITY: Record<string, string[]>[] = [{ ApiKey: [] }, { SessionCookie: [] }, { Bearer: [] }];

/** The OpenAPI 3.1 description, generated from the very schemas that validate requests. */
export function buildOpenApiDocument(routes: Route[], version = '0.0.0') {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', 'ApiKey', { type: 'apiKey', in: 'header', name: 'X-API-KEY' });
  registry.registerComponent('securitySchemes', 'SessionCookie', { type: 'apiKey', in: 'cookie', name: 'omega_session' });
  registry.registerComponent('securitySchemes', 'Bearer', { type: 'http', scheme: 'bearer' });

  for (const spec of routes.filter((r) => !r.hidden)) {
    const bodyType = spec.bodyKind === 'form' ? 'application/x-www-form-urlencoded' : 'application/json';
    registry.registerPath({
      method: spec.method,
      path: spec.path,
      tags: [spec.tag],
      summary: spec.summary,
      description: spec.description,
      security: spec.access === 'authenticated' || spec.access === 'admin' ? SECURITY : [],
      request: {
        params: spec.params as z.ZodObject | undefined,
        query: spec.query as z.ZodObject | undefined,
        body: spec.body ? { content: { [bodyType]: { schema: spec.body } } } : undefined,
      },
      responses: Object.fromEntries(
        Object.entries(spec.responses).map(([status, r]) => [
          status,
          {
            description: r.description,
            content: r.schema ? { [r.contentType ?? 'application/json']: { schema: r.schema } } : undefined,
          },
        ]),
      ),
    });
  }

  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'omega',
      version,
      description:
        'Workflow-orchestrated, multi-tenant messaging: SMS, email and voice between businesses and their clients. ' +
        'Authenticate with `X-API-KEY`, the `omega_session` cookie, or `Authorization: Bearer`. Errors use FastAPI\'s shape.',
    },
  });
}
