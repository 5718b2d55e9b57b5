// The Linux backend's translation of a backend request into linux-bwrap's run request (pure).
import type { BackendRequest } from '../src/backend.js';
import { linuxRunRequest } from '../src/linux-backend.js';

const base = { policy: {} as BackendRequest['policy'], command: ['true'], cwd: '/w', env: { PATH: '/bin' } } satisfies BackendRequest;

describe('linuxRunRequest', () => {
  it('keeps each proxy route, and that the session holds it open (N12.1: the bridge does not probe it)', () => {
    const request: BackendRequest = {
      ...base,
      network: 'proxy-only',
      proxyRoutes: [
        { listenPort: 3128, socketPath: '/s/http.sock', heldOpen: true },
        { listenPort: 8081, socketPath: '/s/socks.sock' },
      ],
    };
    expect(linuxRunRequest(request).proxyRoutes).toEqual([
      { listenPort: 3128, socketPath: '/s/http.sock', heldOpen: true },
      { listenPort: 8081, socketPath: '/s/socks.sock' },
    ]);
  });

  it('maps the cwd and defaults stdio to inherit; absent options stay absent', () => {
    const out = linuxRunRequest(base);
    expect(out).toEqual({ policy: base.policy, command: ['true'], commandCwd: '/w', env: { PATH: '/bin' }, stdio: 'inherit' });
  });
});
