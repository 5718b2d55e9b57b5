import { parseHostPattern, parseTargetHost, patternMatches, targetText, type HostPattern, type HostPatternKind } from '../src/patterns.js';

function pattern(text: string): HostPattern {
  const p = parseHostPattern(text);
  if (!p.ok) throw new Error(`${text}: ${p.reason}`);
  return p.pattern;
}

describe('parseHostPattern accepts', () => {
  const rows: Array<[string, HostPatternKind, string, number | undefined]> = [
    ['example.com', 'exact', 'example.com', undefined],
    ['Example.COM', 'exact', 'example.com', undefined],
    ['example.com.', 'exact', 'example.com', undefined],
    ['api.example.com:443', 'exact', 'api.example.com', 443],
    ['localhost', 'exact', 'localhost', undefined],
    ['localhost:8080', 'exact', 'localhost', 8080],
    ['intranet', 'exact', 'intranet', undefined],
    ['_dmarc.example.com', 'exact', '_dmarc.example.com', undefined],
    ['xn--bcher-kva.example', 'exact', 'xn--bcher-kva.example', undefined],
    ['a-b.example.com', 'exact', 'a-b.example.com', undefined],
    ['*.example.com', 'subdomains', 'example.com', undefined],
    ['*.example.com:8443', 'subdomains', 'example.com', 8443],
    ['**.example.com', 'apex-and-subdomains', 'example.com', undefined],
    ['**.Example.Com.', 'apex-and-subdomains', 'example.com', undefined],
    ['**.example.co.uk', 'apex-and-subdomains', 'example.co.uk', undefined],
    ['*.city.kawasaki.jp', 'subdomains', 'city.kawasaki.jp', undefined],
    ['*.corp.internal', 'subdomains', 'corp.internal', undefined],
    ['192.0.2.1', 'ip', '192.0.2.1', undefined],
    ['192.0.2.1:80', 'ip', '192.0.2.1', 80],
    ['127.0.0.1', 'ip', '127.0.0.1', undefined],
    ['[2001:db8::1]', 'ip', '2001:db8::1', undefined],
    ['[2001:DB8:0::1]:443', 'ip', '2001:db8::1', 443],
    ['2001:db8::1', 'ip', '2001:db8::1', undefined],
    ['::1', 'ip', '::1', undefined],
    ['[::ffff:10.0.0.1]', 'ip', '10.0.0.1', undefined],
    ['example.com:1', 'exact', 'example.com', 1],
    ['example.com:65535', 'exact', 'example.com', 65535],
  ];
  test.each(rows)('%j -> %s %s port %s', (text, kind, host, port) => {
    expect(pattern(text)).toEqual({ text, kind, host, port });
  });
});

describe('parseHostPattern rejects, saying why', () => {
  const rows: Array<[string, RegExp]> = [
    ['', /empty/],
    ['*', /bare `\*` would allow or deny every host/],
    ['**', /bare `\*\*`/],
    ['*.com', /`com` is a public suffix/],
    ['**.com', /`com` is a public suffix/],
    ['*.co.uk', /`co.uk` is a public suffix/],
    ['**.co.uk', /`co.uk` is a public suffix/],
    ['*.kawasaki.jp', /public suffix/],
    ['*.internal', /`internal` is a public suffix/],
    ['*.localhost', /public suffix/],
    ['*.*.example.com', /wildcard may only be the whole first label/],
    ['a.*.example.com', /wildcard may only be the whole first label/],
    ['*example.com', /wildcard may only be the whole first label/],
    ['foo*.example.com', /wildcard may only be the whole first label/],
    ['***.example.com', /wildcard/],
    ['*.192.0.2.1', /wildcard cannot apply to an IP address/],
    ['example..com', /empty label/],
    ['.example.com', /empty label/],
    ['-example.com', /not a host name label/],
    ['example-.com', /not a host name label/],
    ['exa mple.com', /whitespace/],
    ['example.com\n', /whitespace or a control character/],
    ['exa!mple.com', /not a host name label/],
    ['https://example.com', /URL/],
    ['example.com/path', /URL/],
    ['user@example.com', /URL/],
    ['bücher.example', /not ASCII.*xn--bcher-kva\.example/],
    ['example.com:0', /port `0` is not a number from 1 to 65535/],
    ['example.com:65536', /port `65536`/],
    ['example.com:080', /port `080`/],
    ['example.com:', /port ``/],
    ['example.com:http', /port `http`/],
    ['127.1', /last label is a number/],
    ['2130706433', /last label is a number/],
    ['0x7f.0.0.1', /last label is a number|not a host name label/],
    ['192.0.2.256', /last label is a number/],
    ['foo.123', /last label is a number/],
    ['[2001:db8::1', /no `]` closes/],
    ['[2001:db8::1]443', /only `:PORT` may follow/],
    ['[192.0.2.1]', /not an IPv6 address/],
    ['[fe80::1%eth0]', /URL or contains|not an IPv6/],
    ['2001:db8::zz', /not an IPv6 address/],
    [`${'a'.repeat(64)}.example.com`, /not a host name label/],
    [`${'a.'.repeat(127)}com`, /longer than 253/],
  ];
  test.each(rows)('%j', (text, why) => {
    const p = parseHostPattern(text);
    expect(p.ok).toBe(false);
    if (!p.ok) expect(p.reason).toMatch(why);
  });
});

describe('parseTargetHost', () => {
  test.each([
    ['example.com', 'example.com'],
    ['EXAMPLE.com.', 'example.com'],
    ['127.0.0.1', '127.0.0.1'],
    ['127.1', '127.0.0.1'], // URL spelling of IPv4: decided as the address it is
    ['2130706433', '127.0.0.1'],
    ['0x7f.0.0.1', '127.0.0.1'],
    ['[::1]', '::1'],
    ['::1', '::1'],
    ['[::ffff:127.0.0.1]', '127.0.0.1'],
    ['[::ffff:7f00:1]', '127.0.0.1'],
    ['bücher.example', 'xn--bcher-kva.example'],
    ['a_b.example', 'a_b.example'],
  ])('%j -> %j', (raw, text) => {
    const t = parseTargetHost(raw);
    expect(t).toBeDefined();
    if (t !== undefined) expect(targetText(t)).toBe(text);
  });

  test.each(['', 'exa mple.com', 'a/b', 'a@b', 'a%2eb', 'foo.123', '[fe80::1%25eth0]', 'fe80::1%eth0', 'a..b', '-a.com', 'a*b.com', '[nope]', 'x'.repeat(300)])('rejects %j', (raw) => {
    expect(parseTargetHost(raw)).toBeUndefined();
  });
});

describe('patternMatches', () => {
  const rows: Array<[string, string, number, boolean]> = [
    ['example.com', 'example.com', 80, true],
    ['example.com', 'EXAMPLE.COM.', 443, true],
    ['example.com', 'api.example.com', 80, false],
    ['example.com', 'notexample.com', 80, false],
    ['*.example.com', 'api.example.com', 80, true],
    ['*.example.com', 'a.b.example.com', 80, true],
    ['*.example.com', 'example.com', 80, false],
    ['*.example.com', 'badexample.com', 80, false],
    ['*.example.com', 'example.com.evil.net', 80, false],
    ['**.example.com', 'example.com', 80, true],
    ['**.example.com', 'x.example.com', 80, true],
    ['**.example.com', 'x.y.example.com', 80, true],
    ['**.example.com', 'xexample.com', 80, false],
    ['example.com:443', 'example.com', 443, true],
    ['example.com:443', 'example.com', 80, false],
    ['*.example.com:8443', 'a.example.com', 8443, true],
    ['*.example.com:8443', 'a.example.com', 443, false],
    ['192.0.2.1', '192.0.2.1', 80, true],
    ['192.0.2.1', '[::ffff:192.0.2.1]', 80, true],
    ['192.0.2.1:22', '192.0.2.1', 80, false],
    ['[2001:db8::1]', '2001:db8:0:0::1', 80, true],
    ['[2001:db8::1]:443', '[2001:db8::1]', 443, true],
    ['[2001:db8::1]:443', '[2001:db8::1]', 80, false],
    ['192.0.2.1', 'example.com', 80, false],
    ['example.com', '192.0.2.1', 80, false],
    ['localhost', 'localhost', 3000, true],
    ['localhost', '127.0.0.1', 3000, false],
    ['127.0.0.1', '127.1', 80, true],
  ];
  test.each(rows)('%j vs %j:%d -> %s', (p, raw, port, want) => {
    const t = parseTargetHost(raw);
    if (t === undefined) throw new Error(raw);
    expect(patternMatches(pattern(p), t, port)).toBe(want);
  });
});
