// IP literals: strict parsing (dotted-quad IPv4, RFC 4291 IPv6 without zone), one canonical
// spelling per address, and the classification that `allow_local_binding = false` blocks on
// (loopback, private, link-local, unspecified, ... including IPv4 addresses embedded in IPv6).
// Pure: must NOT resolve names or open sockets.
import { isIPv4, isIPv6 } from 'node:net';

export interface IpAddress {
  readonly family: 4 | 6;
  /** 4 or 16 bytes, network order. */
  readonly bytes: Uint8Array;
}

/** Why an address is not a public internet address (or `public`). */
export type AddressClass =
  | 'public'
  | 'unspecified' // 0.0.0.0/8, ::
  | 'loopback' // 127.0.0.0/8, ::1
  | 'private' // RFC 1918, fc00::/7 (unique local), fec0::/10 (old site-local)
  | 'link-local' // 169.254.0.0/16, fe80::/10
  | 'shared' // 100.64.0.0/10 (carrier-grade NAT, RFC 6598)
  | 'multicast' // 224.0.0.0/4, ff00::/8
  | 'reserved'; // 240.0.0.0/4 including 255.255.255.255

// Characters an IPv4 / IPv6 literal can hold (an IPv6 one has a colon; no zone `%`): a host name
// fails these at once, before net.isIPv6, whose first call compiles a large regular expression (a
// few ms of a proxy-mode run's start, for every profile naming only domains).
const IPV4_CHARS = /^[0-9.]+$/;
const IPV6_CHARS = /^(?=.*:)[0-9A-Fa-f:.]+$/;

function parseIPv4Bytes(text: string): Uint8Array | undefined {
  // net.isIPv4 accepts exactly four decimal parts 0-255 without leading zeros: the one spelling
  // that every resolver and URL parser reads the same way.
  if (!IPV4_CHARS.test(text) || !isIPv4(text)) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

function parseIPv6Bytes(text: string): Uint8Array | undefined {
  if (!IPV6_CHARS.test(text) || !isIPv6(text)) return undefined;
  let head = text;
  let tail4: Uint8Array | undefined;
  const lastColon = text.lastIndexOf(':');
  if (text.slice(lastColon + 1).includes('.')) {
    tail4 = parseIPv4Bytes(text.slice(lastColon + 1));
    if (tail4 === undefined) return undefined;
    // Keep the colon(s) before the dotted quad so `::1.2.3.4` still splits on `::`.
    head = text.slice(0, lastColon + 1);
    if (!head.endsWith('::')) head = head.slice(0, -1);
  }
  const groupsWanted = tail4 === undefined ? 8 : 6;
  const parseGroups = (s: string): number[] => (s === '' ? [] : s.split(':').map((g) => parseInt(g, 16)));
  let groups: number[];
  const dbl = head.indexOf('::');
  if (dbl >= 0) {
    const left = parseGroups(head.slice(0, dbl));
    const right = parseGroups(head.slice(dbl + 2));
    const fill = groupsWanted - left.length - right.length;
    if (fill < 1) return undefined;
    groups = [...left, ...new Array<number>(fill).fill(0), ...right];
  } else {
    groups = parseGroups(head);
  }
  if (groups.length !== groupsWanted || groups.some((g) => !Number.isInteger(g) || g < 0 || g > 0xffff)) return undefined;
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[i * 2] = g >> 8;
    out[i * 2 + 1] = g & 0xff;
  });
  if (tail4 !== undefined) out.set(tail4, 12);
  return out;
}

/** Parses a dotted-quad IPv4 or an IPv6 literal (no brackets, no zone); undefined otherwise. */
export function parseIp(text: string): IpAddress | undefined {
  const v4 = parseIPv4Bytes(text);
  if (v4 !== undefined) return { family: 4, bytes: v4 };
  const v6 = parseIPv6Bytes(text);
  if (v6 !== undefined) return { family: 6, bytes: v6 };
  return undefined;
}

function isV4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/** The IPv4 address an IPv4-mapped IPv6 address (::ffff:a.b.c.d) stands for, else the address. */
export function unmapIp(ip: IpAddress): IpAddress {
  if (ip.family === 6 && isV4Mapped(ip.bytes)) return { family: 4, bytes: ip.bytes.slice(12) };
  return ip;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
export function formatIp(ip: IpAddress): string {
  const b = ip.bytes;
  if (ip.family === 4) return Array.from(b).join('.');
  if (isV4Mapped(b)) return `::ffff:${Array.from(b.slice(12)).join('.')}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] ?? 0) << 8) | (b[i + 1] ?? 0));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen && j - i >= 2) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}

function classifyV4(b: Uint8Array): AddressClass {
  const [a = 0, c = 0] = [b[0], b[1]];
  if (a === 0) return 'unspecified';
  if (a === 127) return 'loopback';
  if (a === 10 || (a === 172 && c >= 16 && c <= 31) || (a === 192 && c === 168)) return 'private';
  if (a === 169 && c === 254) return 'link-local';
  if (a === 100 && c >= 64 && c <= 127) return 'shared';
  if (a >= 224 && a <= 239) return 'multicast';
  if (a >= 240) return 'reserved';
  return 'public';
}

function allZero(b: Uint8Array, from: number, to: number): boolean {
  for (let i = from; i < to; i++) if (b[i] !== 0) return false;
  return true;
}

function classifyV6(b: Uint8Array): AddressClass {
  const b0 = b[0] ?? 0;
  const b1 = b[1] ?? 0;
  if (allZero(b, 0, 16)) return 'unspecified';
  if (allZero(b, 0, 15) && b[15] === 1) return 'loopback';
  // IPv4-mapped (::ffff:0:0/96), IPv4-compatible (::/96, deprecated) and the NAT64 well-known
  // prefix (64:ff9b::/96) all carry an IPv4 address that a connect may end up reaching.
  if (isV4Mapped(b) || allZero(b, 0, 12)) return classifyV4(b.slice(12));
  if (b0 === 0x00 && b1 === 0x64 && b[2] === 0xff && b[3] === 0x9b && allZero(b, 4, 12)) return classifyV4(b.slice(12));
  if ((b0 & 0xfe) === 0xfc) return 'private';
  if (b0 === 0xfe && (b1 & 0xc0) === 0x80) return 'link-local';
  if (b0 === 0xfe && (b1 & 0xc0) === 0xc0) return 'private';
  if (b0 === 0xff) return 'multicast';
  return 'public';
}

/** What kind of address this is, for the local-binding rule. */
export function classifyIp(ip: IpAddress): AddressClass {
  return ip.family === 4 ? classifyV4(ip.bytes) : classifyV6(ip.bytes);
}

/** True when the address is anything but a public internet address. */
export function isNonPublicIp(ip: IpAddress): boolean {
  return classifyIp(ip) !== 'public';
}
