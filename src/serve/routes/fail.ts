import type { FastifyReply } from 'fastify';
import { WbcError } from '../../util/errors';

/** An error answer: `{ error }` with its status code, as every route's schema declares. */
export function fail(reply: FastifyReply, code: 400 | 404 | 409, error: string): FastifyReply {
  return reply.code(code).send({ error });
}

/** A 404 thrown where no reply is at hand (the app's error handler answers it as `{ error }`). */
export function notFound(message: string): WbcError & { statusCode: 404 } {
  return Object.assign(new WbcError(message), { statusCode: 404 as const });
}
