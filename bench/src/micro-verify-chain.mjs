// Microbenchmark of the client's chain verification (issue 15): X509Verifier.verifyChain on the
// same leaf + intermediate chain under a P-256 root, with the host name checked, as a client does
// on every handshake. Given several @dtls-kit/x509 package folders (e.g. a base worktree's and
// this one's), it loads each and times them alternately, round after round, so that a change of
// machine load hits each alike; it prints the median µs per verification of each and the ratios
// to the first.
//
//   node src/micro-verify-chain.mjs [x509-package-dir ...]   (default: this repository's)
//   MICRO_CALLS (default 10000), MICRO_ROUNDS (default 5)
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const here = new URL('../../packages/x509', import.meta.url).pathname;
const dirs = process.argv.length > 2 ? process.argv.slice(2) : [here];
const calls = Number(process.env.MICRO_CALLS ?? 10_000);
const rounds = Number(process.env.MICRO_ROUNDS ?? 5);

const impls = await Promise.all(dirs.map((dir) => import(pathToFileURL(resolve(dir, 'dist/index.js')).href)));
// One PKI for all, made by the first package: every implementation verifies the very same bytes.
const { createCA, createCertificate, parseCertificates } = impls[0];
const root = await createCA({ commonName: 'micro root' });
const intermediate = await createCA({ commonName: 'micro intermediate', issuer: root });
const leaf = await createCertificate({ ca: intermediate, commonName: 'localhost', subjectAltNames: ['localhost', '127.0.0.1'], usage: 'server' });
const chain = [...parseCertificates(leaf.cert, 'leaf'), ...parseCertificates(intermediate.cert, 'intermediate')];
const ca = parseCertificates(root.cert, 'root');
const context = { peerRole: 'server', servername: '127.0.0.1' };

const verifiers = impls.map((x509) => x509.createVerifier({ ca }));
for (const v of verifiers) {
  const result = v.verifyChain(chain, context);
  if (!result.authorized) throw new Error('the chain does not verify');
}

const samples = dirs.map(() => []);
for (let round = 0; round < rounds; round++) {
  verifiers.forEach((v, i) => {
    const start = process.hrtime.bigint();
    for (let n = 0; n < calls; n++) v.verifyChain(chain, context);
    samples[i].push(Number(process.hrtime.bigint() - start) / 1000 / calls);
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = samples.map(median);
dirs.forEach((dir, i) => {
  const ratio = medians[0] / medians[i];
  console.log(`${dir}: ${medians[i].toFixed(1)} µs per verifyChain (median of ${rounds} x ${calls}; rounds ${samples[i].map((s) => s.toFixed(1)).join(' ')})${i === 0 ? '' : `, ${ratio.toFixed(1)}x faster than the first`}`);
});
