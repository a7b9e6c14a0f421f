import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type DtlsServer } from '../src/index.js';
import { echo, serverPsk } from './helpers.js';

const client = fileURLToPath(new URL('./fixtures/keylog-exit-client.mjs', import.meta.url));

describe('keylog: a file path', () => {
  let server: DtlsServer | undefined;
  const dirs: string[] = [];
  afterEach(async () => {
    await server?.close();
    server = undefined;
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('holds every line of every handshake even when the process exits right after it (process.exit)', async () => {
    server = createServer({ psk: serverPsk(), connectionId: { length: 4 } }, echo);
    const { port } = await server.listen(0, '127.0.0.1');
    const dir = mkdtempSync(join(tmpdir(), 'dtls-kit-keylog-'));
    dirs.push(dir);
    const rounds = 5;
    for (let i = 0; i < rounds; i++) {
      const file = join(dir, `keys-${i}.log`);
      await new Promise<void>((resolve, reject) => {
        execFile(process.execPath, [client, String(port), file], { timeout: 20_000 }, (error) => (error ? reject(error) : resolve()));
      });
      // An asynchronous append still in flight at process.exit() would be lost: the file must hold
      // the CID comment and then the handshake's secrets, in that order. DTLS 1.3 (the default):
      // the five secrets of RFC 8446 7.1, each with the client random, SHA-256 ones.
      const lines = readFileSync(file, 'utf8').trim().split('\n');
      expect(lines).toHaveLength(6);
      expect(lines[0]).toMatch(/^# CONNECTION_ID [0-9a-f]{64} receive=[0-9a-f]{8} send=[0-9a-f]{8}$/);
      expect(lines.slice(1).map((l) => l.split(' ')[0])).toEqual(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0', 'EXPORTER_SECRET']);
      for (const line of lines.slice(1)) {
        expect(line).toMatch(/^[A-Z_0]+ [0-9a-f]{64} [0-9a-f]{64}$/);
        expect(line.split(' ')[1]).toBe(lines[0]?.slice(16, 80));
      }
    }
    console.log(`key log file: ${rounds} clients exiting right after the handshake, both lines in each file`);
  });
});
