import type { FastifyReply } from 'fastify';

/** An error answer: `{ error }` with its status code, as every route's schema declares. */
export function fail(reply: FastifyReply, code: 400 | 404 | 409, error: string): FastifyReply {
  return reply.code(code).send({ error });
}
