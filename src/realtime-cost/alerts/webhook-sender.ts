import { LookupAddress, lookup as dnsLookup } from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP } from 'node:net';
import { SIGNATURE_HEADER, signWebhook } from './webhook-signature';
import { bareHost, checkWebhookUrl, isPrivateAddress } from './webhook-target';

export interface WebhookRequest {
  url: string;
  body: string;
  /** Null sends the request unsigned (WEBHOOK_SIGNING_SECRET unset). */
  secret: string | null;
  allowPrivate: boolean;
  timeoutMs: number;
  headers?: Record<string, string>;
}

export type WebhookResult = { ok: true; status: number } | { ok: false; status: number | null; error: string };

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;

/**
 * A DNS lookup that refuses private answers: the address checked is the one connected to, so
 * a hostname cannot resolve to a public address at the check and a private one at connect.
 */
function guardedLookup(hostname: string, options: { all?: boolean; family?: number }, callback: LookupCallback): void {
  dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
    if (err) return callback(err, []);
    const bad = addresses.find((a) => isPrivateAddress(a.address));
    if (bad) return callback(Object.assign(new Error(`${hostname} resolves to ${bad.address}, a private address`), { code: 'EPRIVATE' }), []);
    if (options.all) return callback(null, addresses);
    return callback(null, addresses[0].address, addresses[0].family);
  });
}

/** One signed POST (CONTRACT.md, Runtime): 2xx is delivered; anything else, or no answer within the timeout, fails. */
export function sendWebhook(req: WebhookRequest): Promise<WebhookResult> {
  const check = checkWebhookUrl(req.url, req.allowPrivate);
  if (!check.ok) return Promise.resolve({ ok: false, status: null, error: `refused: ${check.message}` });
  const url = check.url;
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(req.body)),
    'user-agent': 'billing-service-webhooks/1.0',
    ...req.headers,
  };
  if (req.secret !== null) headers[SIGNATURE_HEADER] = signWebhook(req.secret, req.body);
  const client = url.protocol === 'https:' ? https : http;
  const literal = isIP(bareHost(url)) !== 0;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: WebhookResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const request = client.request(
      url,
      { method: 'POST', headers, agent: false, ...(req.allowPrivate || literal ? {} : { lookup: guardedLookup as never }) },
      (res) => {
        res.resume(); // the answer's body is not needed
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          done(status >= 200 && status < 300 ? { ok: true, status } : { ok: false, status, error: `HTTP ${status}` });
        });
        res.on('error', (e) => done({ ok: false, status: res.statusCode ?? null, error: e.message }));
        res.on('close', () => done({ ok: false, status: res.statusCode ?? null, error: 'connection closed before the answer ended' }));
      },
    );
    const timer = setTimeout(() => {
      request.destroy(new Error(`timed out after ${req.timeoutMs} ms`));
    }, req.timeoutMs);
    request.on('error', (e) => done({ ok: false, status: null, error: e.message }));
    request.end(req.body);
  });
}
