// Process plumbing for the runner: start a peer, wait for its READY/RESULT line, stop it.
// Every process has a deadline; every process started is stopped (stdin closed, SIGTERM, SIGKILL).
import { spawn } from 'node:child_process';

const live = new Set();

function killAll() {
  for (const child of live) child.kill('SIGKILL');
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** Starts `command args`; `lines` receives each stdout line. */
export function start(command, args, { env } = {}) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  live.add(child);
  let stderr = '';
  let buffered = '';
  const waiters = [];
  const seen = [];
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    buffered += chunk;
    let i;
    while ((i = buffered.indexOf('\n')) >= 0) {
      const line = buffered.slice(0, i);
      buffered = buffered.slice(i + 1);
      seen.push(line);
      for (const w of [...waiters]) w.check();
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => {
    if (stderr.length < 20_000) stderr += chunk;
  });
  // 'close', not 'exit': 'exit' can come before the last stdout chunk is read, and a RESULT line
  // printed just before exiting would be missed.
  const exited = new Promise((resolve) =>
    child.on('close', (code, signal) => {
      live.delete(child);
      resolve({ code, signal });
      for (const w of [...waiters]) w.check();
    }),
  );
  let exitInfo = null;
  void exited.then((e) => (exitInfo = e));
  const name = `${command.split('/').pop()} ${args.join(' ')}`;

  /** Resolves with the rest of the first stdout line starting with `prefix`. */
  function line(prefix, timeoutMs) {
    return new Promise((resolve, reject) => {
      const waiter = {
        check() {
          const found = seen.find((l) => l.startsWith(prefix));
          if (found !== undefined) {
            done();
            resolve(found.slice(prefix.length).trim());
          } else if (exitInfo !== null) {
            done();
            reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before "${prefix}": ${stderr.trim().slice(-2000)}`));
          }
        },
      };
      const timer = setTimeout(() => {
        done();
        reject(new Error(`${name}: no "${prefix}" within ${timeoutMs} ms: ${stderr.trim().slice(-2000)}`));
      }, timeoutMs);
      const done = () => {
        clearTimeout(timer);
        const k = waiters.indexOf(waiter);
        if (k >= 0) waiters.splice(k, 1);
      };
      waiters.push(waiter);
      waiter.check();
    });
  }

  /** Closes stdin (peers exit on it), then SIGTERM after 1 s, SIGKILL after 3 s. */
  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end();
    const t1 = setTimeout(() => child.kill('SIGTERM'), 1000);
    const t2 = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(t1);
    clearTimeout(t2);
  }

  child.stdin.on('error', () => {});
  return { child, line, stop, exited, stderr: () => stderr };
}

export async function result(proc, timeoutMs) {
  return JSON.parse(await proc.line('RESULT', timeoutMs));
}
