// Runs one example: its server, then its client; prints both and exits with the client's code.
//   node run.mjs psk-blocking | x509-blocking | psk-non-blocking | x509-non-blocking [--dtls1_3 | --dtls1_2]
// Without a flag: the library's default (DTLS 1.3 preferred, 1.2 accepted), so DTLS 1.3.
// --dtls1_3: both sides DTLS 1.3 only (RFC 9147), on the example's port + 10.
// --dtls1_2: both sides DTLS 1.2 only (RFC 6347), on the example's port + 20.
import { spawn } from 'node:child_process';

const name = process.argv[2];
const flags = { '--dtls1_3': { version: 'DTLSv1.3', offset: 10 }, '--dtls1_2': { version: 'DTLSv1.2', offset: 20 } };
const flag = process.argv[3] === undefined ? { version: undefined, offset: 0 } : flags[process.argv[3]];
const ports = { 'psk-blocking': 4440, 'psk-non-blocking': 4441, 'x509-blocking': 4442, 'x509-non-blocking': 4443 };
const port = ports[name] === undefined || flag === undefined ? undefined : ports[name] + flag.offset;
if (!port) {
  console.error(`usage: node run.mjs ${Object.keys(ports).join(' | ')} [--dtls1_3 | --dtls1_2]`);
  process.exit(2);
}
const versionArgs = flag.version === undefined ? [] : [flag.version];
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
