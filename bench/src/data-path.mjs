// Where a one-way 1,200-byte record's CPU goes in the non-blocking runtime, layer by layer, in one
// process with the kernel stubbed out (not part of pnpm bench; for finding per-record costs):
//
//   node src/data-path.mjs [native|node] [RECORDS] [ROUNDS]
//   TREES=/work/wt-main,/work/wt-mine node src/data-path.mjs native 60000 5   (A/B: built checkouts)
//   LAYERS='recv  socket' node --cpu-prof --cpu-prof-interval 20 src/data-path.mjs   (one layer's profile)
//
// A real server and client (PSK-AES128-GCM-SHA256, DTLS 1.2, mtu 1472, the bench row's settings)
// shake hands over loopback; then, with no socket in the measured loops:
//  send  engine   DtlsConnection.send + datagramsToSend + datagramSent (seal, queue, slab reuse)
//  send  socket   DtlsSocket.send (the engine, flush, touch) with a transport that keeps nothing
//  recv  engine   DtlsConnection.receive (handed over) + pollEvent, of datagrams the client sealed
//  recv  socket   DtlsSocket.receive + pump + 'message' (the bench's serverHandler as listener)
//  recv  server   DtlsServer's 'message' handler (routing, counters, trace check) + all of the above
// Each receive layer gets fresh memory per datagram, as node:dgram gives (a copy of what the
// client sealed, made outside the timed part). Prints µs per record (wall and user+system CPU of
// this process) per layer, the median of ROUNDS; a layer's cost is its figure minus the one above.
// With several TREES (default: this checkout) all are loaded in this one process and take turns
// batch by batch, so that the machine's load falls on each alike; B/A is the second over the first.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PSK_IDENTITY, PSK_KEY_HEX, serverHandler, throughputMessage } from './common.mjs';

const [providerName = 'native', recordsArg = '100000', roundsArg = '5'] = process.argv.slice(2);
const RECORDS = Number(recordsArg);
const ROUNDS = Number(roundsArg);
const BATCH = 1000;
const trees = (process.env.TREES ?? fileURLToPath(new URL('../..', import.meta.url))).split(',');

/** A server and a client of `tree` (a built checkout) after their handshake, and the layers to time. */
async function setUp(tree) {
  const { connect, createServer } = await import(join(tree, 'packages/nonblocking/dist/index.js'));
  const { pskClient, pskServer } = await import(join(tree, 'packages/psk/dist/index.js'));
  const core = await import(join(tree, 'packages/core/dist/index.js'));
  const provider = providerName === 'native' ? core.loadNativeCryptoProvider() : core.nodeCryptoProvider;
  const common = { cipherSuites: 'PSK-AES128-GCM-SHA256', maxVersion: 'DTLSv1.2', mtu: 1472, provider, sessionTickets: false };

  let serverSocket;
  const server = createServer({ ...common, psk: pskServer({ keys: { [PSK_IDENTITY]: PSK_KEY_HEX } }), sessionStore: false, idleTimeoutMs: 600_000 }, (s) => {
    serverSocket = s;
    // The bench's server: an ack of 4 bytes every 16 records (sent through the stub below).
    s.on('message', serverHandler((data) => s.send(data)));
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const client = await connect({ ...common, host: '127.0.0.1', port, psk: pskClient({ identity: PSK_IDENTITY, key: PSK_KEY_HEX }) });
  while (serverSocket === undefined) await new Promise((r) => setTimeout(r, 5));
  const clientAddress = client.address();

  // The kernel, stubbed: a transport that takes a datagram and says it left at once.
  const stubTransport = (real) => ({ send: () => true, release: real.release, address: real.address });
  client.shared = { ...client.shared, transport: stubTransport(client.shared.transport) };
  serverSocket.shared = { ...serverSocket.shared, transport: stubTransport(serverSocket.shared.transport) };
  const clientConn = client.conn;
  const serverConn = serverSocket.conn;
  const message = throughputMessage();
  const rinfo = { address: clientAddress.address, family: 'IPv4', port: clientAddress.port, size: 0 };

  /** BATCH datagrams the client's engine sealed, each a copy in memory of its own (as node:dgram gives). */
  const sealBatch = () => {
    const out = [];
    for (let i = 0; i < BATCH; i++) {
      clientConn.send(message);
      for (const d of clientConn.datagramsToSend()) {
        out.push(Buffer.from(d));
        clientConn.datagramSent(d);
      }
    }
    return out;
  };

  const layers = {
    'send  engine': () => {
      for (let i = 0; i < BATCH; i++) {
        clientConn.send(message);
        for (const d of clientConn.datagramsToSend()) clientConn.datagramSent(d);
      }
    },
    'send  socket': () => {
      for (let i = 0; i < BATCH; i++) client.send(message);
    },
    'recv  engine': (batch) => {
      for (const d of batch) {
        serverConn.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), 1, rinfo, true);
        while (serverConn.pollEvent() !== undefined);
      }
    },
    'recv  socket': (batch) => {
      const now = performance.now();
      for (const d of batch) serverSocket.receive(new Uint8Array(d.buffer, d.byteOffset, d.byteLength), now, rinfo, true);
    },
    'recv  server': (batch) => {
      for (const d of batch) server.onMessage(d, rinfo);
    },
  };
  const check = async () => {
    if (serverSocket.droppedMessages !== 0 || serverSocket.state !== 'established') throw new Error('the server dropped records');
    client.destroy();
    await server.close();
  };
  return { tree, layers, sealBatch, check };
}

/** Times BATCH records of one layer of one tree; returns [wall µs, cpu µs] for the batch. */
function timeBatch(setup, name) {
  const batch = name.startsWith('recv') ? setup.sealBatch() : undefined;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  setup.layers[name](batch);
  const wall = (performance.now() - t0) * 1000;
  const c = process.cpuUsage(c0);
  return [wall, c.user + c.system];
}

const setups = [];
for (const tree of trees) setups.push(await setUp(tree));
// LAYERS=regexp: only the layers it matches (e.g. for a CPU profile of one layer).
const names = Object.keys(setups[0].layers).filter((n) => new RegExp(process.env.LAYERS ?? '').test(n));
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
// Warm-up, then ROUNDS rounds; in each, the trees take turns batch by batch (A/B interleaved), so
// that a change in the machine's load falls on all of them alike.
for (const setup of setups) for (const name of names) for (let i = 0; i < 20; i++) timeBatch(setup, name);
const figures = setups.map(() => Object.fromEntries(names.map((k) => [k, { wall: [], cpu: [] }])));
for (let r = 0; r < ROUNDS; r++) {
  for (const name of names) {
    const sums = setups.map(() => [0, 0]);
    for (let done = 0; done < RECORDS; done += BATCH) {
      setups.forEach((setup, i) => {
        const [w, c] = timeBatch(setup, name);
        sums[i][0] += w;
        sums[i][1] += c;
      });
    }
    setups.forEach((_, i) => {
      figures[i][name].wall.push(sums[i][0] / RECORDS);
      figures[i][name].cpu.push(sums[i][1] / RECORDS);
    });
  }
}
console.log(`provider ${providerName}, ${RECORDS} records x ${ROUNDS} rounds per layer; µs per record, median of the rounds (wall / CPU)`);
for (const name of names) {
  const cells = setups.map((s, i) => `${median(figures[i][name].wall).toFixed(2)} / ${median(figures[i][name].cpu).toFixed(2)}`);
  const ratio = setups.length > 1 ? `  B/A CPU x${(median(figures[1][name].cpu) / median(figures[0][name].cpu)).toFixed(3)}` : '';
  console.log(`${name}  ${cells.join('   ')}${ratio}`);
}
for (const setup of setups) await setup.check();
