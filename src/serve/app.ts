import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import { endConnectionsWhenClosing } from '../util/close-connections';
import { WbcError } from '../util/errors';
import { endSilentConnections } from '../util/silent-connections';
import { BODY_LIMIT_BYTES } from './api-schemas';
import type { Reviews } from './context';
import { caseRoutes } from './routes/cases';
import { cellRoutes } from './routes/cells';
import { commentRoutes } from './routes/comments';
import { exportRoutes } from './routes/exports';
import { infoRoutes } from './routes/info';
import { openApiRoutes } from './routes/openapi';
import { pageRoutes } from './routes/page';
import { reportRoutes } from './routes/report';
import { reviewMounts } from './routes/review-mount';
import { addSecurity } from './security';

/** The version of the API in its OpenAPI document: raised when an answer or a request changes. */
const API_VERSION = '2';

export interface Transport {
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
}

/**
 * The Fastify app of the reviews served: the pages, the JSON API and the exports, each group of routes in
 * its module; a review's routes are mounted twice (see reviewMounts).
 */
export function buildApp(reviews: Reviews, transport: Transport = {}): FastifyInstance {
  const app = Fastify({
    ...(transport.tls ? { https: transport.tls } : {}),
    logger: false,
    bodyLimit: BODY_LIMIT_BYTES,
    // Reject what does not match a schema instead of coercing or silently dropping it.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  }).withTypeProvider<TypeBoxTypeProvider>();
  endConnectionsWhenClosing(app, transport.tls !== undefined);
  endSilentConnections(app, transport.tls !== undefined);
  addSecurity(app, { token: reviews.token, loopbackOnly: reviews.loopbackOnly, secure: transport.tls !== undefined });
  app.setErrorHandler((error: Error & { statusCode?: number }, _request, reply) => {
    const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 500;
    void reply.code(status).send({ error: status === 500 && !(error instanceof WbcError) ? 'internal error' : error.message });
  });
  app.setNotFoundHandler((_request, reply) => void reply.code(404).send({ error: 'not found' }));
  // Registered first, so that it sees every route that follows.
  void app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'wbc serve: the review API',
        description: 'The JSON API of the review page, for scripts and a LIMS. Every route passes the same security checks as the page; every GET route also answers HEAD (its headers, no body).',
        version: API_VERSION,
      },
    },
  });
  void app.register(pageRoutes(reviews));
  void app.register(caseRoutes(reviews));
  for (const mount of reviewMounts(reviews)) {
    for (const routes of [infoRoutes, cellRoutes, commentRoutes, reportRoutes, exportRoutes]) {
      void app.register(routes(mount), { prefix: mount.base });
    }
  }
  void app.register(openApiRoutes);
  return app;
}
