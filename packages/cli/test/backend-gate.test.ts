// createSandbox must refuse (never run unconfined) on an OS whose backend is not implemented.
import { BackendNotImplementedError, createSandbox, UnsupportedPlatformError } from '../src/index.js';

const realPlatform = Object.getOwnPropertyDescriptor(process, 'platform') as PropertyDescriptor;
afterEach(() => Object.defineProperty(process, 'platform', realPlatform));

function as(platform: string): void {
  Object.defineProperty(process, 'platform', { ...realPlatform, value: platform });
}

test.each([
  ['sunos', UnsupportedPlatformError, /not supported on this operating system \(sunos\)/],
])('%s: createSandbox refuses with exit status 1', (platform, cls, message) => {
  as(platform);
  let thrown: unknown;
  try {
    createSandbox({ permissionProfile: ':danger-full-access' });
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(cls);
  expect((thrown as Error).message).toMatch(message);
  expect((thrown as BackendNotImplementedError).exitCode).toBe(1);
});
