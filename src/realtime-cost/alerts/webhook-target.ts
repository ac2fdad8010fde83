import { BlockList, isIP } from 'node:net';

/**
 * Where outbound webhooks may go (CONTRACT.md, Runtime): http or https only, and never to
 * loopback, private, link-local or unspecified addresses (SSRF), unless WEBHOOK_ALLOW_PRIVATE.
 * Hostnames are checked again on every delivery against what they resolve to then.
 */
const PRIVATE = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  PRIVATE.addSubnet(net, prefix, 'ipv4');
}
PRIVATE.addAddress('::', 'ipv6');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6');
PRIVATE.addSubnet('fe80::', 10, 'ipv6');

/** Whether an IP address (v4, v6, or v4-mapped v6) is loopback, private, link-local or unspecified. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return false;
  return PRIVATE.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** The URL's host without IPv6 brackets or a trailing dot, lower-cased. */
export function bareHost(url: URL): string {
  return url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
}

const isLocalName = (host: string): boolean => host === 'localhost' || host.endsWith('.localhost');

export type WebhookUrlCheck = { ok: true; url: URL } | { ok: false; reason: 'malformed' | 'scheme' | 'private'; message: string };

/** The checks that need no DNS: a parseable http(s) URL whose host is not a private literal or localhost. */
export function checkWebhookUrl(raw: string, allowPrivate: boolean): WebhookUrlCheck {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'malformed', message: 'must be an absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'scheme', message: 'must be an http or https URL' };
  const host = bareHost(url);
  if (!allowPrivate && (isLocalName(host) || isPrivateAddress(host))) {
    return { ok: false, reason: 'private', message: 'must not point at a loopback, private or link-local address' };
  }
  return { ok: true, url };
}
