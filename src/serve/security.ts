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

/**
 * The token cookie's name: one per port, so that one browser keeps the tokens of several servers on a host
 * (cookies are shared across ports). Before the server listens (requests injected in tests) it has no port.
 */
export function tokenCookieName(port: number | undefined): string {
  return port === undefined ? 'wbc_token' : `wbc_token_${port}`;
}

function listeningPort(app: FastifyInstance): number | undefined {
  const address = app.server.address();
  return typeof address === 'object' && address !== null ? address.port : undefined;
}

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
  /** Served over HTTPS: the token cookie is marked Secure, so a browser never sends it over plain HTTP. */
  secure?: boolean;
}

/**
 * Adds the checks every request passes: the Host header when serving loopback only, the token when there
 * is one (a browser opens `/?token=T` once and gets it as an HttpOnly, SameSite=Strict cookie named after
 * the port), and the security headers on every answer.
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
    const cookie = tokenCookieName(listeningPort(app));
    if (sameToken(bearer, token) || sameToken(cookieValue(request, cookie), token)) return;
    const query = request.query as Record<string, string | undefined>;
    if (request.method === 'GET' && request.url.startsWith('/?') && sameToken(query.token, token)) {
      return reply
        .header('set-cookie', `${cookie}=${token}; HttpOnly; SameSite=Strict; Path=/${options.secure ? '; Secure' : ''}`)
        .redirect('/', 303);
    }
    return reply.code(401).header('www-authenticate', 'Bearer').send({ error: 'missing or wrong token' });
  });
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('x-frame-options', 'DENY');
    // No other site may embed the cell images or read any answer (CSP does not cover being embedded).
    reply.header('cross-origin-resource-policy', 'same-origin');
    reply.header('cache-control', 'no-store');
  });
}
