import helmet from '@fastify/helmet';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';

/**
 * CSP of the API itself: JSON and PDFs never load anything, and may not be framed.
 * (`upgrade-insecure-requests` is left out: the service is also reached over plain HTTP locally.)
 */
const API_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'none'"],
    frameAncestors: ["'none'"],
  },
};

/**
 * CSP of Swagger UI (/api/docs…): its bundle, preset and init script are served from 'self', but
 * swagger-ui renders inline styles and inline SVG/data: images, and its page carries inline
 * <style> blocks, so inline scripts and styles are allowed there only.
 */
const DOCS_CSP = {
  useDefaults: false,
  directives: {
    defaultSrc: ["'self'"],
    baseUri: ["'self'"],
    connectSrc: ["'self'"],
    fontSrc: ["'self'", 'data:'],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
    imgSrc: ["'self'", 'data:', 'https:'],
    objectSrc: ["'none'"],
    scriptSrc: ["'self'", "'unsafe-inline'"],
    scriptSrcAttr: ["'none'"],
    styleSrc: ["'self'", "'unsafe-inline'"],
  },
};

/**
 * Security headers on every response (@fastify/helmet): nosniff, frame protection (CSP
 * frame-ancestors and X-Frame-Options DENY), HSTS, no-referrer, cross-origin policies, and a
 * strict CSP except on the docs routes. Must run before the docs routes are registered.
 */
export async function registerSecurityHeaders(app: NestFastifyApplication, docsPath: string): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const docsPrefix = `/${docsPath.replace(/^\/+|\/+$/g, '')}`;
  // Route-level helmet options of @fastify/helmet: docs routes get DOCS_CSP, everything else API_CSP.
  fastify.addHook('onRoute', (route) => {
    const url = route.url ?? route.path;
    if (typeof url === 'string' && (url === docsPrefix || url.startsWith(`${docsPrefix}/`) || url.startsWith(`${docsPrefix}-`))) {
      route.config = Object.assign(route.config ?? {}, { helmet: { contentSecurityPolicy: DOCS_CSP } });
    }
  });
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: API_CSP,
    frameguard: { action: 'deny' },
    referrerPolicy: { policy: 'no-referrer' },
    hsts: { maxAge: 31_536_000, includeSubDomains: true },
  });
  // Fastify adds no X-Powered-By; make sure nothing upstream does either.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    void reply.removeHeader('x-powered-by');
    done(null, payload);
  });
}
