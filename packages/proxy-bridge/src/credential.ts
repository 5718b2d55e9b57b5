// The per-run credential that guards the managed proxy's loopback TCP listeners (any local user
// can connect to 127.0.0.1): random user and password, checked in constant time, as HTTP
// `Proxy-Authorization: Basic` or SOCKS5 username/password (RFC 1929).
// Must NOT log or expose the secret beyond the endpoint URL handed to the caller.
import { randomBytes, timingSafeEqual } from 'node:crypto';

export interface ProxyCredential {
  readonly username: string;
  readonly password: string;
}

/** A fresh credential: URL-safe, so it can sit in `http://user:pass@127.0.0.1:port` unescaped. */
export function generateCredential(): ProxyCredential {
  return { username: `codex-${randomBytes(6).toString('hex')}`, password: randomBytes(24).toString('base64url') };
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  // Comparing equal-length digests keeps the time independent of where the inputs differ and of
  // their lengths.
  const pad = (x: Buffer): Buffer => Buffer.concat([Buffer.from([x.length & 0xff, x.length >> 8]), x, Buffer.alloc(Math.max(0, 512 - x.length))]);
  if (a.length > 510 || b.length > 510) return false;
  return timingSafeEqual(pad(a), pad(b));
}

/** Do `username`/`password` (raw bytes, as SOCKS5 sends them) match the credential? */
export function credentialMatches(cred: ProxyCredential, username: Buffer, password: Buffer): boolean {
  const userOk = sameBytes(Buffer.from(cred.username, 'utf8'), username);
  const passOk = sameBytes(Buffer.from(cred.password, 'utf8'), password);
  return userOk && passOk;
}

/** Does a `Proxy-Authorization` header value carry the credential (Basic scheme)? */
export function proxyAuthorizationMatches(cred: ProxyCredential, header: string | undefined): boolean {
  if (header === undefined) return false;
  const m = /^\s*basic\s+([A-Za-z0-9+/=_-]+)\s*$/i.exec(header);
  if (m === null || m[1] === undefined) return false;
  const decoded = Buffer.from(m[1], 'base64');
  const colon = decoded.indexOf(0x3a);
  if (colon < 0) return false;
  return credentialMatches(cred, decoded.subarray(0, colon), decoded.subarray(colon + 1));
}
