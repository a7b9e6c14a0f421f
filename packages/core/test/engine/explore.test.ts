import { it } from 'vitest';
import { Rng } from '@dtls-kit/test-kit';

it('rng', () => {
  let six = 0; let total = 0; const N = 200000; let lossSum = 0; let draws = 0;
  for (let seed = 1; seed <= N; seed++) {
    const root = new Rng(seed); root.fork(); const b = root.fork();
    let all = true;
    for (let i = 0; i < 6; i++) { const l = b.chance(0.25); lossSum += l ? 1 : 0; draws++; if (!l) all = false; }
    if (all) six++; total++;
  }
  console.log('six-in-a-row', six / total, 'expected', 0.25 ** 6, 'mean', lossSum / draws);
});
