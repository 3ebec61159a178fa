import type { FastifyRequest } from 'fastify';
import { REVIEW_MOUNTS, type ReviewBase } from '../api-schemas';
import type { AppContext, Reviews } from '../context';
import { notFound } from './fail';

/** Where a review's routes are mounted, and how a request finds its review there. */
export interface ReviewMount {
  base: ReviewBase;
  schemas: (typeof REVIEW_MOUNTS)[ReviewBase];
  /** The review a request addresses; throws a 404 for a case that is not served. */
  reviewOf(request: FastifyRequest): AppContext;
}

/**
 * The review routes' two mounts: /api/… for the one folder served as one case, and /api/cases/:case/…
 * for every case, the case found by its id from the database (never a path).
 */
export function reviewMounts(reviews: Reviews): ReviewMount[] {
  return [{
    base: '/api',
    schemas: REVIEW_MOUNTS['/api'],
    reviewOf: () => {
      if (!reviews.single) throw notFound('this server serves a folder of cases: use /api/cases/:case/… (GET /api/cases lists them)');
      return reviews.single;
    },
  }, {
    base: '/api/cases/:case',
    schemas: REVIEW_MOUNTS['/api/cases/:case'],
    reviewOf: (request) => caseOf(reviews, request),
  }];
}

/** The case named by a request's `:case` parameter (its schema allows digits only). */
export function caseOf(reviews: Reviews, request: FastifyRequest): AppContext {
  const review = reviews.get(Number((request.params as { case: string }).case));
  if (!review) throw notFound('no such case');
  return review;
}
