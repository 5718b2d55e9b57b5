import { EventLog } from '../src/events.js';

const event = (port: number) => ({ protocol: 'http' as const, host: 'x.example', port, reason: 'allowlist' as const, message: 'blocked' });

test('the log keeps at most its limit and counts the rest; subscribers see every event', () => {
  const log = new EventLog(3);
  const seen: number[] = [];
  const unsubscribe = log.subscribe((e) => seen.push(e.port));
  for (let i = 1; i <= 5; i++) log.record(event(i));
  expect(log.blocked.map((e) => e.port)).toEqual([1, 2, 3]);
  expect(log.dropped).toBe(2);
  expect(seen).toEqual([1, 2, 3, 4, 5]);
  unsubscribe();
  log.record(event(6));
  expect(seen).toEqual([1, 2, 3, 4, 5]);
});

test('a subscriber that throws does not stop the others or the log', () => {
  const log = new EventLog(10);
  const seen: number[] = [];
  log.subscribe(() => {
    throw new Error('subscriber bug');
  });
  log.subscribe((e) => seen.push(e.port));
  expect(() => log.record(event(1))).not.toThrow();
  expect(seen).toEqual([1]);
  expect(log.blocked).toHaveLength(1);
});

test('the list handed out is a copy', () => {
  const log = new EventLog(10);
  log.record(event(1));
  (log.blocked as unknown as unknown[]).length = 0;
  expect(log.blocked).toHaveLength(1);
  expect(log.authFailures).toBe(0);
  log.recordAuthFailure();
  expect(log.authFailures).toBe(1);
});
