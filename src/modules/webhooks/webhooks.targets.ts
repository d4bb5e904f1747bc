// Where a webhook may be sent (the SSRF guard) and the one POST that sends it. A URL must be
// https:// and every address its host resolves to must be public unicast: no loopback, private,
// link-local (cloud metadata), shared CGNAT, reserved or IPv6 tunnelling ranges that can embed
// them. The check runs at create time and again before each attempt, and the attempt connects to
// the address that was checked (no second DNS answer, so no DNS rebinding) and follows no redirect.
// WEBHOOK_ALLOW_PRIVATE_NETWORKS=true lifts the address check and allows http:// as well.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import ipaddr from 'ipaddr.js';
import type { HostLookup, ResolvedAddress } from '../../lib/lookup.ts';

export interface TargetPolicy {
  allowPrivateNetworks: boolean;
  lookup: HostLookup;
}

/** A URL that passed the guard and the address it was checked at. */
export interface Target {
  url: URL;
  address: ResolvedAddress;
}

/** Why a URL is refused, worded to follow "url ...". */
export class TargetRefusedError extends Error {
  override name = 'TargetRefusedError';
}

/** Only global unicast: ipaddr.js names every special-purpose range otherwise (IPv4-mapped IPv6 checked as IPv4). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

async function addressesOf(hostname: string, lookup: HostLookup): Promise<ResolvedAddress[]> {
  // URL keeps IPv6 literals in brackets.
  const host = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
  if (ipaddr.isValid(host)) return [{ address: host, family: ipaddr.parse(host).kind() === 'ipv6' ? 6 : 4 }];
  try {
    return await lookup(host);
  } catch {
    return [];
  }
}

/** Checks `raw` against the policy and resolves it; throws TargetRefusedError saying why not. */
export async function resolveTarget(raw: string, policy: TargetPolicy): Promise<Target> {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new TargetRefusedError('must be an absolute URL');
  }
  const allowed = policy.allowPrivateNetworks ? ['https:', 'http:'] : ['https:'];
  if (!allowed.includes(url.protocol)) throw new TargetRefusedError(policy.allowPrivateNetworks ? 'must be an https:// or http:// URL' : 'must be an https:// URL');
  if (url.username || url.password) throw new TargetRefusedError('must not contain credentials');
  const addresses = await addressesOf(url.hostname, policy.lookup);
  if (addresses.length === 0) throw new TargetRefusedError('must name a host that resolves');
  if (!policy.allowPrivateNetworks && !addresses.every((entry) => isPublicAddress(entry.address))) {
    throw new TargetRefusedError('must not resolve to a loopback, private, link-local, shared (CGNAT), metadata or reserved address');
  }
  return { url, address: addresses[0]! };
}

/** A lookup that answers the checked address whatever it is asked: the connection goes where the guard looked. */
function pinnedLookup({ address, family }: ResolvedAddress): LookupFunction {
  return ((_hostname, options, callback) => {
    if (options.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  });
}

/**
 * POSTs `body` to the target and answers the response status once the headers arrive (the body is
 * not read). Rejects on a network error or when no answer came within `timeoutMs`. TLS still
 * checks the certificate against the URL's host name.
 */
export function post(target: Target, body: string, headers: Record<string, string>, timeoutMs: number): Promise<number> {
  const client = target.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(
      target.url,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
        agent: false,
        lookup: pinnedLookup(target.address),
        signal: AbortSignal.timeout(timeoutMs),
      },
      (response) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
