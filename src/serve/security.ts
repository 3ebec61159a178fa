import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { isLoopback } from '../util/loopback';

/** The page's own files only: no inline script or style, nothing from elsewhere, no framing. */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' blob: data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TOKEN_COOKIE = 'wbc_token';

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
}

function cookieValue(request: FastifyRequest, name: string): string | undefined {
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) return value.join('=');
  }
  return undefined;
}

/** The host name of a Host header, without its port (IPv6 addresses lose their brackets). */
function hostName(header: string | undefined): string {
  if (!header) return '';
  const bracketed = /^\[([^\]]+)\]/.exec(header);
  return bracketed ? bracketed[1] : header.replace(/:\d+$/, '');
}

export interface SecurityOptions {
  /** Required on every request when set: `Authorization: Bearer <token>`, or the cookie the page gets. */
  token?: string;
  /** Only loopback Host headers are answered (against DNS rebinding): true when bound to loopback. */
  loopbackOnly: boolean;
}

/**
 * Adds the checks every request passes: the Host header when serving loopback only, the token when there
 * is one (a browser opens `/?token=T` once and gets it as an HttpOnly, SameSite=Strict cookie), and the
 * security headers on every answer.
 */
export function addSecurity(app: FastifyInstance, options: SecurityOptions): void {
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (options.loopbackOnly && !isLoopback(hostName(request.headers.host))) {
      return reply.code(403).send({ error: 'this server answers only requests addressed to 127.0.0.1 or localhost' });
    }
    const token = options.token;
    if (token === undefined) return;
    const authorization = request.headers.authorization;
    const bearer = authorization?.startsWith('Bearer ') ? authorization.slice('Bearer '.length) : undefined;
    if (sameToken(bearer, token) || sameToken(cookieValue(request, TOKEN_COOKIE), token)) return;
    const query = request.query as Record<string, string | undefined>;
    if (request.method === 'GET' && request.url.startsWith('/?') && sameToken(query.token, token)) {
      return reply
        .header('set-cookie', `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`)
        .redirect('/', 303);
    }
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong token' });
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    reply.header('cache-control', 'no-store');
  });
}
