import { describeNetworkPolicy } from '../src/describe.js';
import { compileNetworkPolicy } from '../src/policy.js';

test('every setting of the policy is a row, in a fixed order', () => {
  const rows = describeNetworkPolicy(
    compileNetworkPolicy({
      mode: 'limited',
      allow_local_binding: true,
      enable_socks5: false,
      allow_upstream_proxy: true,
      proxy_url: 'http://127.0.0.1:3128',
      domains: { '**.example.com': 'allow', 'Api.Example.org:443': 'allow', 'bad.example.com': 'deny' },
      unix_sockets: { '/run/a.sock': 'allow', '/run/b.sock': 'deny' },
    }),
  );
  expect(rows).toEqual([
    { setting: 'mode', value: 'limited (GET, HEAD, OPTIONS over plain HTTP; no CONNECT, no SOCKS5)' },
    { setting: 'allowed', value: '**.example.com, Api.Example.org:443' },
    { setting: 'denied', value: 'bad.example.com' },
    { setting: 'local binding', value: 'allowed (loopback and private targets reachable when allowlisted)' },
    { setting: 'SOCKS5', value: 'off' },
    { setting: 'upstream proxy', value: 'allowed (the host http_proxy / https_proxy, after the policy)' },
    { setting: 'unix sockets', value: 'allowed: /run/a.sock; denied: /run/b.sock' },
    { setting: 'HTTP proxy seen at', value: '127.0.0.1:3128' },
  ]);
});

test('the defaults read as blocked, and say so', () => {
  const rows = describeNetworkPolicy(compileNetworkPolicy({ dangerously_allow_all_unix_sockets: true }));
  expect(Object.fromEntries(rows.map((r) => [r.setting, r.value]))).toEqual({
    mode: 'full',
    allowed: '(none: every request is blocked)',
    denied: '(none)',
    'local binding': 'blocked (loopback, private and link-local targets, by name or by resolved address)',
    SOCKS5: 'on',
    'upstream proxy': 'not used',
    'unix sockets': 'all (dangerously_allow_all_unix_sockets)',
  });
});
