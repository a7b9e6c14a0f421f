// A V8 .cpuprofile summed up: the functions by self time (time spent in the function itself).

/** `profile`: the JSON of a .cpuprofile; the `top` functions by self time, with the total sampled. */
export function summarizeProfile(profile, top) {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map(); // function key -> microseconds
  let totalUs = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byNode.get(profile.samples[i]);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node) continue;
    totalUs += delta;
    const key = functionName(node.callFrame);
    selfUs.set(key, (selfUs.get(key) ?? 0) + delta);
  }
  const functions = [...selfUs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, percent: totalUs > 0 ? (100 * us) / totalUs : 0 }));
  return { totalMs: totalUs / 1000, functions };
}

function functionName({ functionName: name, url, lineNumber }) {
  if (!url) return name ? `(${name})` : '(anonymous)';
  const file = url.replace(/^file:\/\//, '').replace(/^.*\/node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^.*\/(packages|bench)\//, '$1/');
  return `${name || '(anonymous)'} ${file}:${lineNumber + 1}`;
}
