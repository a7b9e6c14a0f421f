// What a record's AEAD costs next to what node:dgram spends per datagram, and so which record and
// ping-pong ratios a provider can reach at best (not part of pnpm bench; for issue 15's arithmetic):
//
//   node src/record-budget.mjs [ROUNDS] [SIDE_US] [RTT_US]
//
// Measured, in one process, rounds interleaved (a change of the host's speed hits these figures
// alike), the median over ROUNDS (odd, default 7) of CPU µs (user + system of this process, GC
// threads included) per call:
//  - seal / open of a 1,200-byte record (AES-128-GCM, 13 bytes of AAD: DTLS 1.2's) with the
//    node:crypto provider (the default) and with the native-aead one when it is built, through
//    the calls the record layer makes: sealInto, straight into the record it sends, and
//    openInPlace, over a datagram it was handed (server.ts, connect.ts), where the provider has
//    them; else seal and open, which allocate their output. openInPlace overwrites its input, so
//    each timed call gets a fresh copy of the sealed record first; a copy of the same size is
//    timed on its own and subtracted (the record layer makes no such copy);
//  - the same with an empty record: the cost of the call alone, whatever the size (node:crypto
//    makes a cipher object per record: node gives no way to give a cipher a new IV).
// Given, not measured here (both move with the host's speed, so measure them near this run):
//  - SIDE_US (default 4.8): CPU µs per record of a process of the one-way row with plain dgram
//    (`node src/cpu-per-op.mjs throughput 5 dgram`: client 4.8, server 4.7 on 2026-12-04 at 18:05;
//    5.6 and 5.9 at 18:42, a slower moment);
//  - RTT_US (default 75): dgram's ping-pong round trip, 1e6 ÷ its row's rate (75: 13,267/s, the
//    median of bench/results/2026-12-04T1813-vm.md; its fastest run 14,647/s, 68 µs).
// Then the budget: for a ratio R of dgram's rate, a process that spends SIDE µs per datagram may add
// at most SIDE × (1/R − 1) µs per record (AEAD and every line of ours together); the one-way row
// goes at the pace of its slower side. A ping-pong round trip may grow by RTT × (1/R − 1), over
// four AEAD calls on its path (a seal and an open on each side).
import { loadNativeCryptoProvider, nodeCryptoProvider } from '@dtls-kit/core';
import { median } from './paired-ratio.mjs';

const ROUNDS = Number(process.argv[2] ?? 7);
const SIDE = Number(process.argv[3] ?? 4.8);
const RTT = Number(process.argv[4] ?? 75);
if (!(Number.isInteger(ROUNDS) && ROUNDS >= 1 && ROUNDS % 2 === 1) || !(SIDE > 0) || !(RTT > 0)) {
  process.stderr.write('usage: node src/record-budget.mjs [ROUNDS: odd, >= 1] [SIDE_US > 0] [RTT_US > 0]\n');
  process.exit(2);
}
const N = 20000;
const key = new Uint8Array(16).fill(7);
const nonce = new Uint8Array(12).fill(1);
const aad = new Uint8Array(13).fill(2);
const record = new Uint8Array(1200).fill(3);
const empty = new Uint8Array(0);

const providers = [['node:crypto', nodeCryptoProvider]];
try {
  providers.push(['native-aead', loadNativeCryptoProvider()]);
} catch (e) {
  process.stdout.write(`native-aead: not available here (${e.message.split('\n')[0]})\n`);
}

/** CPU µs per call of `f`, over `n` calls. */
function cpuPerCall(n, f) {
  const t = process.cpuUsage();
  for (let i = 0; i < n; i++) f();
  const u = process.cpuUsage(t);
  return (u.user + u.system) / n;
}

/** Each timed figure by name; `minus`: the name of a figure to subtract from it (the copy). */
const ops = [];
const copies = new Set();
for (const [name, provider] of providers) {
  const aead = provider.aead('aes-128-gcm', key);
  for (const [size, plaintext] of [['1200 B', record], ['0 B', empty]]) {
    const sealed = aead.seal(nonce, plaintext, aad);
    const out = new Uint8Array(sealed.length);
    const work = new Uint8Array(sealed.length);
    const seal = aead.sealInto !== undefined ? () => aead.sealInto(nonce, plaintext, aad, out, 0) : () => aead.seal(nonce, plaintext, aad);
    ops.push({ name: `${name} seal ${size}`, run: () => cpuPerCall(N, seal) });
    if (aead.openInPlace !== undefined) {
      const copy = `copy ${sealed.length} B`;
      if (!copies.has(copy)) {
        copies.add(copy);
        ops.push({ name: copy, run: () => cpuPerCall(N, () => work.set(sealed)) });
      }
      const open = () => {
        work.set(sealed);
        if (aead.openInPlace(nonce, work, aad) === null) throw new Error(`${name}: the tag did not verify`);
      };
      ops.push({ name: `${name} open ${size}`, run: () => cpuPerCall(N, open), minus: copy });
    } else {
      const open = () => {
        if (aead.open(nonce, sealed, aad) === null) throw new Error(`${name}: the tag did not verify`);
      };
      ops.push({ name: `${name} open ${size}`, run: () => cpuPerCall(N, open) });
    }
  }
}

const figures = new Map(ops.map((o) => [o.name, []]));
for (const o of ops) o.run(); // warm-up
for (let r = 0; r < ROUNDS; r++) for (const o of ops) figures.get(o.name).push(o.run());

const raw = Object.fromEntries([...figures].map(([k, v]) => [k, median(v)]));
const m = Object.fromEntries(ops.map((o) => [o.name, o.minus === undefined ? raw[o.name] : raw[o.name] - raw[o.minus]]));
process.stdout.write(`CPU µs per call, median of ${ROUNDS} interleaved rounds of ${N}${copies.size > 0 ? ' (open: the copy before it subtracted)' : ''}:\n`);
for (const o of ops) process.stdout.write(`  ${o.name.padEnd(24)} ${m[o.name].toFixed(2)}\n`);

process.stdout.write(`\nOne-way records, SIDE = ${SIDE} µs of dgram per datagram and process:\n`);
for (const R of [0.6, 0.8]) process.stdout.write(`  at ×${R} of dgram a process may add ${(SIDE * (1 / R - 1)).toFixed(2)} µs per record in all\n`);
for (const [name] of providers) {
  const seal = m[`${name} seal 1200 B`];
  const open = m[`${name} open 1200 B`];
  const sender = SIDE / (SIDE + seal);
  const receiver = SIDE / (SIDE + open);
  process.stdout.write(`  ${name}: seal ${seal.toFixed(2)}, open ${open.toFixed(2)} µs: at best ×${Math.min(sender, receiver).toFixed(2)} with nothing else of ours (sender ×${sender.toFixed(2)}, receiver ×${receiver.toFixed(2)})\n`);
}
process.stdout.write(`\nPing-pong, RTT = ${RTT} µs of dgram per round trip: ×0.9 allows ${(RTT * (1 / 0.9 - 1)).toFixed(1)} µs more, for four AEAD calls and all of ours\n`);
for (const [name] of providers) {
  const four = 2 * m[`${name} seal 1200 B`] + 2 * m[`${name} open 1200 B`];
  process.stdout.write(`  ${name}: four calls ${four.toFixed(1)} µs: at best ×${(RTT / (RTT + four)).toFixed(2)}\n`);
}
