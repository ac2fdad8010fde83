import helmet, { HelmetOptions } from 'helmet';
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

const COMMON: HelmetOptions = {
  frameguard: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
};

/**
 * The headers helmet sets for `options`, worked out once: helmet's middleware only sets fixed
 * headers for these options (no nonces), and building it on every request cost more than
 * the rest of the route's security work together.
 */
export function helmetHeaders(options: HelmetOptions): Record<string, string> {
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (name: string, value: unknown) => void (headers[name.toLowerCase()] = String(value)),
    removeHeader: (name: string) => void delete headers[name.toLowerCase()],
    getHeader: () => undefined,
  };
  let failure: unknown;
  helmet(options)({} as never, res as never, (err?: unknown) => void (failure = err));
  if (failure) throw failure;
  return headers;
}

/**
 * Security headers on every response (helmet): nosniff, frame protection (CSP frame-ancestors
 * and X-Frame-Options DENY), HSTS, no-referrer, cross-origin policies, and a strict CSP except on
 * the docs routes.
 */
export async function registerSecurityHeaders(app: NestFastifyApplication, docsPath: string): Promise<void> {
  const fastify = app.getHttpAdapter().getInstance();
  const docsPrefix = `/${docsPath.replace(/^\/+|\/+$/g, '')}`;
  const isDocs = (url: string) => url === docsPrefix || url.startsWith(`${docsPrefix}/`) || url.startsWith(`${docsPrefix}-`);
  const apiHeaders = helmetHeaders({ ...COMMON, contentSecurityPolicy: API_CSP });
  const docsHeaders = helmetHeaders({ ...COMMON, contentSecurityPolicy: DOCS_CSP });
  fastify.addHook('onRequest', (request, reply, done) => {
    // Unmatched URLs (404s) have no route: they get the API headers.
    const route = request.routeOptions.url;
    void reply.headers(route !== undefined && isDocs(route) ? docsHeaders : apiHeaders);
    done();
  });
  // Fastify adds no X-Powered-By; make sure nothing upstream does either.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    void reply.removeHeader('x-powered-by');
    done(null, payload);
  });
}
