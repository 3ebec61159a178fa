import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { API } from '../api-schemas';
import { worklistRow } from '../case-summary';
import type { Reviews } from '../context';

/** The worklist: every case with its state, its counts and its sign-off. */
export function caseRoutes(reviews: Reviews): FastifyPluginAsyncTypebox {
  return async (app) => {
    app.get('/api/cases', { schema: API['GET /api/cases'] }, async () => reviews.all().map(worklistRow));
  };
}
