/**
 * Copies of small byte arrays, back to back in one ArrayBuffer. A Uint8Array with a buffer of its
 * own costs the V8 heap ~200 bytes whatever its length (the view, the ArrayBuffer, its store),
 * so the few dozen bytes each of an established connection's randoms and secrets cost several
 * times their size apart; as views of one buffer, a view each and one buffer for all.
 */
export function packBytes(parts: readonly Uint8Array[]): Uint8Array[] {
  let total = 0;
  for (const p of parts) total += p.length;
  const buffer = new ArrayBuffer(total);
  const views: Uint8Array[] = [];
  let at = 0;
  for (const p of parts) {
    const view = new Uint8Array(buffer, at, p.length);
    view.set(p);
    views.push(view);
    at += p.length;
  }
  return views;
}
