// What a record's AEAD costs next to what node:dgram spends per datagram, and so which record and
// ping-pong ratios a provider can reach at best (not part of pnpm bench; for issue 15's arithmetic):
//
//   node src/record-budget.mjs [ROUNDS] [SIDE_US] [RTT_US]
//
// In one process, rounds interleaved (a change of the host's speed hits every figure alike), the
// median over ROUNDS (default 7) of CPU µs (user + system of this process) per operation:
//  - seal / open of a 1,200-byte record (AES-128-GCM, 13 bytes of AAD: DTLS 1.2's) with the
//    node:crypto provider (the default) and with the native-aead one when it is built, through
//    the calls the record layer makes;
//  - the same with an empty record: the cost of the call alone, whatever the size (node:crypto
//    makes a cipher object per record: node gives no way to give a cipher a new IV).
// Then the budget: for a ratio R of plain dgram's rate, a process that spends SIDE µs per datagram
// in dgram may add at most SIDE × (1/R − 1) µs per record (AEAD and every line of ours together);
// a ping-pong round trip of RTT µs may grow by RTT × (1/R − 1), over four AEAD calls on its path (a
// seal and an open on each side). SIDE: CPU µs per record of the one-way row's dgram client or
// server (`node src/cpu-per-op.mjs throughput 5 dgram`: 4.8 and 4.7 on 2026-12-04); RTT: 1e6 ÷ the
// bench's dgram ping-pong rate (70: 14,300 round trips/s, this host's fastest run).
import { loadNativeCryptoProvider, nodeCryptoProvider } from '@dtls-kit/core';

const ROUNDS = Number(process.argv[2] ?? 7);
const SIDE = Number(process.argv[3] ?? 4.8);
const RTT = Number(process.argv[4] ?? 70);
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

// The calls the record layer makes (record/record-layer.ts): sealInto, straight into the record
// it sends, and openInPlace, over a received datagram it was handed, where the provider has them;
// else seal and open, which allocate their output. openInPlace overwrites its input, so each call
// gets a fresh copy of the sealed record first; 'copy' is that copy alone, to subtract.
const ops = [];
for (const [name, provider] of providers) {
  const aead = provider.aead('aes-128-gcm', key);
  for (const [size, plaintext] of [['1200 B', record], ['0 B', empty]]) {
    const sealed = aead.seal(nonce, plaintext, aad);
    const out = new Uint8Array(sealed.length);
    const work = new Uint8Array(sealed.length);
    const seal = aead.sealInto !== undefined ? () => aead.sealInto(nonce, plaintext, aad, out, 0) : () => aead.seal(nonce, plaintext, aad);
    const open =
      aead.openInPlace !== undefined
        ? () => {
            work.set(sealed);
            if (aead.openInPlace(nonce, work, aad) === null) throw new Error(`${name}: the tag did not verify`);
          }
        : () => {
            if (aead.open(nonce, sealed, aad) === null) throw new Error(`${name}: the tag did not verify`);
          };
    ops.push({ name: `${name} seal ${size}`, run: () => cpuPerCall(N, seal) });
    ops.push({ name: `${name} open ${size}`, run: () => cpuPerCall(N, open) });
  }
}
const copySource = new Uint8Array(record.length + 16);
const copyTarget = new Uint8Array(record.length + 16);
ops.push({ name: 'copy 1216 B (in the open figures)', run: () => cpuPerCall(N, () => copyTarget.set(copySource)) });

const figures = new Map(ops.map((o) => [o.name, []]));
for (const o of ops) o.run(); // warm-up
for (let r = 0; r < ROUNDS; r++) for (const o of ops) figures.get(o.name).push(o.run());

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const m = Object.fromEntries([...figures].map(([k, v]) => [k, median(v)]));
process.stdout.write(`CPU µs per operation, median of ${ROUNDS} interleaved rounds of ${N}:\n`);
for (const [k, v] of Object.entries(m)) process.stdout.write(`  ${k.padEnd(36)} ${v.toFixed(2)}\n`);

process.stdout.write(`\nOne-way records: a process that spends ${SIDE} µs per datagram in plain dgram\n`);
for (const R of [0.6, 0.8]) process.stdout.write(`  may add ${(SIDE * (1 / R - 1)).toFixed(2)} µs per record in all at ×${R}\n`);
for (const [name] of providers) {
  const seal = m[`${name} seal 1200 B`];
  const open = m[`${name} open 1200 B`];
  process.stdout.write(`  ${name}: seal ${seal.toFixed(2)}, open ${open.toFixed(2)} µs: at best ×${(SIDE / (SIDE + seal)).toFixed(2)} (sender) and ×${(SIDE / (SIDE + open)).toFixed(2)} (receiver), with nothing else of ours\n`);
}
process.stdout.write(`\nPing-pong, a dgram round trip of ${RTT} µs: ×0.9 allows ${(RTT * (1 / 0.9 - 1)).toFixed(1)} µs more per round trip, for four AEAD calls and all of ours\n`);
for (const [name] of providers) {
  const four = 2 * m[`${name} seal 1200 B`] + 2 * m[`${name} open 1200 B`];
  process.stdout.write(`  ${name}: four calls ${four.toFixed(1)} µs: at best ×${(RTT / (RTT + four)).toFixed(2)}\n`);
}
