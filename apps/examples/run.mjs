// Runs one example: its server, then its client; prints both and exits with the client's code.
//   node run.mjs psk-blocking | x509-blocking | psk-non-blocking | x509-non-blocking [--dtls1_3]
// --dtls1_3: both sides with maxVersion 'DTLSv1.3' (RFC 9147), on the example's port + 10.
import { spawn } from 'node:child_process';

const name = process.argv[2];
const dtls13 = process.argv[3] === '--dtls1_3';
const ports = { 'psk-blocking': 4440, 'psk-non-blocking': 4441, 'x509-blocking': 4442, 'x509-non-blocking': 4443 };
const port = ports[name] === undefined ? undefined : ports[name] + (dtls13 ? 10 : 0);
if (!port || (process.argv[3] !== undefined && !dtls13)) {
  console.error(`usage: node run.mjs ${Object.keys(ports).join(' | ')} [--dtls1_3]`);
  process.exit(2);
}
const versionArgs = dtls13 ? ['DTLSv1.3'] : [];
const dir = new URL(`./${name}/`, import.meta.url);
const server = spawn(process.execPath, [new URL('server.mjs', dir).pathname, String(port), ...versionArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
server.stdout.pipe(process.stdout);
// Start the client once the server says it listens.
await new Promise((resolve, reject) => {
  server.stdout.on('data', (chunk) => String(chunk).includes('listening') && resolve());
  server.once('exit', (code) => reject(new Error(`server exited early (${code})`)));
});
const client = spawn(process.execPath, [new URL('client.mjs', dir).pathname, String(port), ...versionArgs], { stdio: 'inherit' });
const clientCode = await new Promise((resolve) => client.once('exit', resolve));
// The blocking servers serve until told to stop (the non-blocking ones stop after one client).
if (name.endsWith('-blocking') && !name.endsWith('non-blocking')) server.kill('SIGTERM');
const serverCode = await new Promise((resolve) => (server.exitCode !== null ? resolve(server.exitCode) : server.once('exit', resolve)));
process.exit(clientCode === 0 && serverCode === 0 ? 0 : 1);
