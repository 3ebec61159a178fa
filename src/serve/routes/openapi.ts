import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { API, type OpenApiDocument } from '../api-schemas';

/** This API as an OpenAPI document, made by @fastify/swagger from the routes' schemas. */
export const openApiRoutes: FastifyPluginAsyncTypebox = async (app) => {
  // Registered with its `openapi` option, @fastify/swagger makes an OpenAPI document, not a Swagger 2 one.
  app.get('/api/openapi.json', { schema: API['GET /api/openapi.json'] }, async () => app.swagger() as OpenApiDocument);
};
