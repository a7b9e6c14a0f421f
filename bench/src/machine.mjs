// What the results were measured on: date, CPU, cores, OS, load, Node, OpenSSL, package versions.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);

function version(pkg) {
  // Some packages export no ./package.json, and werift-dtls's main is missing: find the folder in
  // node_modules beside the bench package and read its package.json.
  for (const base of require.resolve.paths(pkg) ?? []) {
    try {
      const meta = JSON.parse(readFileSync(join(base, pkg, 'package.json'), 'utf8'));
      if (meta.name === pkg) return meta.version;
    } catch {
      // not in this folder
    }
  }
  return 'unknown';
}

function run(cmd, args) {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
}

export async function machine(startedAt) {
  const cpus = os.cpus();
  let osName = `${os.type()} ${os.release()}`;
  try {
    const pretty = /PRETTY_NAME="([^"]+)"/.exec(readFileSync('/etc/os-release', 'utf8'));
    if (pretty) osName = `${pretty[1]} (${os.type()} ${os.release()})`;
  } catch {
    // keep the kernel name
  }
  return {
    date: startedAt.toISOString(),
    host: os.hostname().replace(/[^A-Za-z0-9._-]/g, '_'),
    cpu: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    os: osName,
    loadStart: os.loadavg(),
    node: process.version,
    nodeOpenssl: process.versions.openssl,
    openssl: run('openssl', ['version']),
    cc: run(process.env.CC ?? 'cc', ['--version']).split('\n')[0],
    git: run('git', ['rev-parse', '--short', 'HEAD']),
    packages: Object.fromEntries(
      ['@dtls-kit/core', '@dtls-kit/nonblocking', '@dtls-kit/blocking', '@dtls-kit/psk', '@dtls-kit/x509', 'werift-dtls', 'node-dtls-client'].map((p) => [p, version(p)]),
    ),
  };
}
