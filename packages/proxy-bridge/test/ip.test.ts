import { classifyIp, formatIp, isNonPublicIp, parseIp, unmapIp, type AddressClass } from '../src/ip.js';

function must(text: string) {
  const ip = parseIp(text);
  if (ip === undefined) throw new Error(`parseIp(${text}) failed`);
  return ip;
}

describe('parseIp / formatIp', () => {
  test.each([
    ['127.0.0.1', '127.0.0.1'],
    ['0.0.0.0', '0.0.0.0'],
    ['255.255.255.255', '255.255.255.255'],
    ['::1', '::1'],
    ['::', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['2001:DB8::1', '2001:db8::1'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'],
    ['2001:0db8:0000:0000:0000:0000:0002:0001', '2001:db8::2:1'],
    ['2001:db8:1:2:3:4:5:6', '2001:db8:1:2:3:4:5:6'],
    ['2001:db8::1:2:3:4:5', '2001:db8:0:1:2:3:4:5'],
    ['fe80::1', 'fe80::1'],
    ['::ffff:127.0.0.1', '::ffff:127.0.0.1'],
    ['::ffff:7f00:1', '::ffff:127.0.0.1'],
    ['::127.0.0.1', '::7f00:1'],
    ['1::', '1::'],
    ['1:2:3:4:5:6:7::', '1:2:3:4:5:6:7:0'],
    ['64:ff9b::10.0.0.1', '64:ff9b::a00:1'],
  ])('%s -> %s', (text, canonical) => {
    expect(formatIp(must(text))).toBe(canonical);
  });

  test.each(['', '127.1', '127.0.0.01', '1.2.3.4.5', '256.1.1.1', '0x7f.0.0.1', '2130706433', 'fe80::1%eth0', ':::', '1::2::3', '12345::', 'example.com', '[::1]', ' 1.2.3.4', '1:2:3:4:5:6:7:8:9'])(
    'rejects %j',
    (text) => {
      expect(parseIp(text)).toBeUndefined();
    },
  );

  test('unmapIp turns ::ffff:a.b.c.d into the IPv4 address and leaves others alone', () => {
    expect(formatIp(unmapIp(must('::ffff:10.1.2.3')))).toBe('10.1.2.3');
    expect(unmapIp(must('::ffff:10.1.2.3')).family).toBe(4);
    expect(formatIp(unmapIp(must('::1')))).toBe('::1');
    expect(formatIp(unmapIp(must('8.8.8.8')))).toBe('8.8.8.8');
  });
});

describe('classifyIp', () => {
  const rows: Array<[string, AddressClass]> = [
    ['0.0.0.0', 'unspecified'],
    ['0.1.2.3', 'unspecified'],
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['10.0.0.1', 'private'],
    ['10.255.255.255', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['172.15.255.255', 'public'],
    ['172.32.0.0', 'public'],
    ['192.168.1.1', 'private'],
    ['192.169.0.1', 'public'],
    ['169.254.169.254', 'link-local'],
    ['169.253.0.1', 'public'],
    ['100.64.0.1', 'shared'],
    ['100.127.255.255', 'shared'],
    ['100.128.0.0', 'public'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.255', 'multicast'],
    ['240.0.0.1', 'reserved'],
    ['255.255.255.255', 'reserved'],
    ['8.8.8.8', 'public'],
    ['1.1.1.1', 'public'],
    ['::', 'unspecified'],
    ['::1', 'loopback'],
    ['::2', 'unspecified'], // IPv4-compatible 0.0.0.2
    ['fc00::1', 'private'],
    ['fd12:3456:789a::1', 'private'],
    ['fe80::1', 'link-local'],
    ['febf::1', 'link-local'],
    ['fec0::1', 'private'],
    ['ff02::1', 'multicast'],
    ['2001:4860:4860::8888', 'public'],
    ['2606:4700::1111', 'public'],
    // IPv4 inside IPv6: the embedded address decides.
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:10.0.0.1', 'private'],
    ['::ffff:192.168.0.1', 'private'],
    ['::ffff:169.254.1.1', 'link-local'],
    ['::ffff:0.0.0.0', 'unspecified'],
    ['::ffff:8.8.8.8', 'public'],
    ['::127.0.0.1', 'loopback'],
    ['::10.0.0.1', 'private'],
    ['64:ff9b::127.0.0.1', 'loopback'],
    ['64:ff9b::192.168.0.1', 'private'],
    ['64:ff9b::8.8.8.8', 'public'],
  ];
  test.each(rows)('%s is %s', (text, cls) => {
    const ip = must(text);
    expect(classifyIp(ip)).toBe(cls);
    expect(isNonPublicIp(ip)).toBe(cls !== 'public');
  });
});
