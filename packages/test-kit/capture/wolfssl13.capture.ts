/**
 * Records the DTLS 1.3 fixtures: every scenario of WOLFSSL13_SCENARIOS, wolfSSL's client to
 * wolfSSL's server through the recording relay, written as JSON to
 * packages/core/test/fixtures/wolfssl13/NAME.json. Each capture must be a complete session (the
 * client got the server's answer over DTLS 1.3) with both key logs equal, or nothing is written.
 */
import { writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { WOLFSSL13_SCENARIOS, captureWolfssl13 } from '../src/index.js';

const OUT = fileURLToPath(new URL('../../core/test/fixtures/wolfssl13/', import.meta.url));

describe('wolfSSL 5.5.4 DTLS 1.3 captures', () => {
  for (const scenario of WOLFSSL13_SCENARIOS) {
    it(scenario.name, async () => {
      const capture = await captureWolfssl13(scenario);
      const why = JSON.stringify({ ...capture, datagrams: capture.datagrams.length }, null, 1);
      expect(capture.client.code, why).toBe(0);
      expect(capture.client.version, why).toBe('DTLSv1.3');
      expect(capture.client.stdout, why).toContain('I hear you fa shizzle!');
      expect(capture.keylog.map((k) => k.label), why).toEqual(
        expect.arrayContaining(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']),
      );
      await writeFile(`${OUT}${scenario.name}.json`, `${JSON.stringify(capture, null, 1)}\n`);
    });
  }
});
