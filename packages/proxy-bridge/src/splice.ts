// Joins two byte streams (client and target of a tunnel) both ways with half-close: an end on one
// side is passed on as an end to the other; an error or reset on either side destroys both.
// Must NOT look at the bytes.
import type { Duplex } from 'node:stream';
import type { FastReader } from './fast-read.js';

/** `bReader`: `b` reads through a FastReader (created with its `onread`), which then feeds `a`. */
export function splice(a: Duplex, b: Duplex, bReader?: FastReader): void {
  const kill = (): void => {
    a.destroy();
    b.destroy();
  };
  a.on('error', kill);
  b.on('error', kill);
  // A side that closes without having ended cleanly (reset, destroy) takes the other down; one
  // that ended normally has already passed its end on through pipe().
  a.on('close', () => {
    if (!a.readableEnded) b.destroy();
  });
  b.on('close', () => {
    if (!b.readableEnded) a.destroy();
  });
  a.pipe(b);
  if (bReader !== undefined) bReader.pipeTo(a);
  else b.pipe(a);
  a.resume();
  if (bReader === undefined) b.resume();
}
