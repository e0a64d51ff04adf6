#!/usr/bin/env node
// Load generator and contract check for the chat's original-gateway protocol (protocol 1).
//
// N socket.io clients connect to a server on 127.0.0.1 (WebSocket, or long-polling with
// --transport polling); S of them send `newMessage` strings "<step> <sender> <seq> <sent at> <padding>"
// at R messages a second in total for D seconds; every client records every `message` it gets.
// Per step it reports deliveries/s (messages x receivers that got them), the share delivered,
// and latency from send to receipt (p50, p90, p99, max, ms). Before that, the time to connect
// all N clients and the time until all N(N-1)/2 `user-joined` notices arrived: a fan-out figure.
// With --saturate F, a passing step is followed by one at R x F, until a step fails.
//
// On the way it checks the seed contract: each sender's messages reach every client exactly as
// sent, in order, none twice, none lost; `user-joined` goes to every other client, never the
// newcomer; `user-left` to every client left. Exit 0: kept; 1: broken; 2: a connection failed
// or dropped; 3: bad usage or timeout. One JSON line goes to stdout, progress to stderr.
// run.py starts it; alone: node load.js --url http://127.0.0.1:5000 --clients 50 --rate 20
'use strict';
const { io } = require('socket.io-client');
const { performance } = require('perf_hooks');

const opt = { url: '', clients: 50, senders: 10, rate: 10, duration: 5, transport: 'websocket', size: 64,
  saturate: 0, minDelivered: 0.99, maxP99: 500, maxSteps: 20, hold: 1000 };
for (let i = 2; i < process.argv.length; i += 2) {
  const key = process.argv[i].replace(/^--/, '').replace(/-(\w)/g, (_, c) => c.toUpperCase());
  const value = process.argv[i + 1];
  if (!(key in opt) || value === undefined) usage(`bad argument ${process.argv[i]}`);
  opt[key] = typeof opt[key] === 'number' ? Number(value) : value;
  if (Number.isNaN(opt[key])) usage(`${process.argv[i]} takes a number`);
}
function usage(why) {
  console.error(`load.js: ${why}\nusage: node load.js --url http://127.0.0.1:PORT [--clients N] [--senders S] ` +
    '[--rate R] [--duration D] [--transport websocket|polling] [--size BYTES] [--saturate FACTOR] ' +
    '[--min-delivered 0.99] [--max-p99 MS] [--max-steps K] [--hold MS]');
  process.exit(3);
}
if (!/^http:\/\/127\.0\.0\.1:\d+$/.test(opt.url)) usage('--url must be http://127.0.0.1:PORT');
if (!['websocket', 'polling'].includes(opt.transport)) usage('--transport is websocket or polling');

const N = opt.clients;
const S = Math.max(1, Math.min(N, opt.senders));
const PAD = 'x'.repeat(opt.size);
const JOINED = 'A user joined the chat';
const LEFT = 'A user left the chat';
const now = () => performance.now();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const log = (text) => console.error(`[load N=${N}] ${text}`);

const sockets = [];
const joined = new Uint32Array(N);
const left = new Uint32Array(N);
const lastSeq = new Int32Array(N * S).fill(-1); // [receiver * S + sender]: last sequence number received
const got = new Uint32Array(N * S);             // [receiver * S + sender]: messages received
const nextSeq = new Uint32Array(S);             // per sender: messages sent so far
const violations = [];
const errors = [];
let totalGot = 0;
let late = 0;       // deliveries that arrived after their step was closed
let step = null;    // the step being measured
let closing = false;

function violate(text) {
  if (violations.length < 20) violations.push(text);
  else violations[19] = `... and more (last: ${text})`;
}

// Wait until done() is true; give up after stallMs without progress() changing, or capMs in all.
async function waitFor(done, progress, stallMs, capMs) {
  const start = now();
  let seen = progress();
  let changed = start;
  while (!done()) {
    if (progress() !== seen) { seen = progress(); changed = now(); }
    if (now() - changed > stallMs || now() - start > capMs) return false;
    await sleep(10);
  }
  return true;
}

function onMessage(i, text) {
  const t = now();
  const parts = typeof text === 'string' ? text.split(' ') : [];
  const [n, s, seq, sentAt] = parts.slice(0, 4).map(Number);
  if (parts.length !== 5 || parts[4] !== PAD || !(s >= 0 && s < S) || !(seq >= 0 && seq < nextSeq[s])) {
    violate(`client ${i} got a message nobody sent: ${JSON.stringify(text).slice(0, 80)}`);
    return;
  }
  const k = i * S + s;
  if (seq <= lastSeq[k]) {
    const what = seq === lastSeq[k] ? 'a duplicate' : 'out of order';
    violate(`client ${i} got sender ${s}'s message ${seq} after ${lastSeq[k]}: ${what}`);
  } else {
    lastSeq[k] = seq;
  }
  got[k]++;
  totalGot++;
  if (step && step.open && n === step.n && step.received < step.latency.length) {
    step.latency[step.received++] = t - sentAt;
    step.lastReceipt = t;
  } else {
    late++;
  }
}

function connect(i) {
  return new Promise((resolve) => {
    const socket = io(opt.url, { transports: [opt.transport], reconnection: false, forceNew: true, timeout: 20000 });
    sockets[i] = socket;
    socket.on('user-joined', (p) => {
      joined[i]++;
      if (!p || p.message !== JOINED) violate(`client ${i}: user-joined carried ${JSON.stringify(p)}`);
    });
    socket.on('user-left', (p) => {
      left[i]++;
      if (!p || p.message !== LEFT) violate(`client ${i}: user-left carried ${JSON.stringify(p)}`);
    });
    socket.on('message', (text) => onMessage(i, text));
    socket.on('chat-error', (e) => violate(`client ${i}'s message was refused: ${JSON.stringify(e)}`));
    socket.on('disconnect', (why) => { if (!closing && !socket.leaving) errors.push(`client ${i} dropped: ${why}`); });
    socket.once('connect', () => resolve(true));
    socket.once('connect_error', (e) => {
      errors.push(`client ${i} could not connect: ${e.message}`);
      resolve(false);
    });
  });
}

function percentile(sorted, q) {
  return sorted.length ? +sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)].toFixed(2) : null;
}

// Send R messages a second for D seconds, round robin over the senders, then wait for deliveries.
let turn = 0;
async function runStep(n, rate) {
  const total = Math.max(1, Math.round(rate * opt.duration));
  const s0 = step = { n, open: true, received: 0, latency: new Float64Array(total * N), lastReceipt: 0 };
  const cpu = process.cpuUsage();
  const start = now();
  const startEpoch = Date.now();
  let sent = 0;
  while (sent < total) {
    const due = Math.min(total, Math.floor(((now() - start) / 1000) * rate) + 1);
    for (; sent < due; sent++) {
      const s = turn++ % S;
      sockets[s].emit('newMessage', `${n} ${s} ${nextSeq[s]++} ${now().toFixed(3)} ${PAD}`);
    }
    await sleep(2);
  }
  await waitFor(() => s0.received >= total * N, () => s0.received, 3000, 30000 + opt.duration * 1000);
  s0.open = false;
  const used = process.cpuUsage(cpu);
  const seconds = Math.max(opt.duration, ((s0.lastReceipt || now()) - start) / 1000);
  const sorted = s0.latency.subarray(0, s0.received).sort();
  const result = {
    rate, sent: total, expected: total * N, received: s0.received,
    delivered_pct: +((100 * s0.received) / (total * N)).toFixed(2),
    deliveries_per_s: Math.round(s0.received / seconds),
    p50: percentile(sorted, 0.5), p90: percentile(sorted, 0.9), p99: percentile(sorted, 0.99),
    max: sorted.length ? +sorted[sorted.length - 1].toFixed(2) : null,
    loadgen_cpu_pct: Math.round(((used.user + used.system) / 1000 / (now() - start)) * 100),
    t_start: startEpoch, t_end: Date.now(),
  };
  result.pass = result.delivered_pct >= 100 * opt.minDelivered && result.p99 !== null && result.p99 <= opt.maxP99;
  log(`R=${rate}/s: ${result.deliveries_per_s} deliveries/s, ${result.delivered_pct}% delivered, ` +
      `p50 ${result.p50} p99 ${result.p99} max ${result.max} ms: ${result.pass ? 'pass' : 'FAIL'}`);
  await sleep(500); // stragglers land here, counted as late
  return result;
}

async function main() {
  const out = { clients: N, senders: S, transport: opt.transport, size: opt.size, duration: opt.duration };
  // Connect: client 0 alone, then batches of 50, then the last client alone, so that the first
  // and the last have exact expectations (clients connecting at once may hear of each other).
  const start = now();
  const batches = [[0]];
  for (let i = 1; i < N - 1; i += 50) batches.push(Array.from({ length: Math.min(50, N - 1 - i) }, (_, j) => i + j));
  if (N > 1) batches.push([N - 1]);
  for (const batch of batches) {
    if (!(await Promise.all(batch.map(connect))).every(Boolean)) break;
  }
  out.connected = sockets.filter((s) => s.connected).length;
  out.connect_ms = Math.round(now() - start);
  const pairs = (N * (N - 1)) / 2;
  const sum = (a) => a.reduce((x, y) => x + y, 0);
  if (out.connected === N) {
    await waitFor(() => sum(joined) >= pairs, () => sum(joined), 20000, 300000);
    out.joins_ms = Math.round(now() - start);
    log(`connected ${N} in ${out.connect_ms} ms; all ${pairs} user-joined in ${out.joins_ms} ms`);
    out.t_connected = Date.now();
    await sleep(opt.hold); // the server holds N connections and is idle: run.py reads its memory now
    out.t_send = Date.now();
    const extra = sum(batches.map((b) => (b.length * (b.length - 1)) / 2));
    if (sum(joined) < pairs || sum(joined) > pairs + extra) violate(`${sum(joined)} user-joined for ${pairs} pairs`);
    if (joined[0] !== N - 1) violate(`the first client heard of ${joined[0]} others joining, not ${N - 1}`);
    if (N > 1 && joined[N - 1] !== 0) violate(`the last client heard of ${joined[N - 1]} joining after it`);

    out.steps = [];
    for (let n = 0, rate = opt.rate; n < opt.maxSteps && !errors.length; n++) {
      out.steps.push(await runStep(n, rate));
      if (!opt.saturate || !out.steps[n].pass) break;
      rate = Math.round(rate * opt.saturate * 100) / 100;
    }
    const passed = out.steps.filter((s) => s.pass);
    out.max_sustained_deliveries_per_s = passed.length ? Math.max(...passed.map((s) => s.deliveries_per_s)) : 0;

    // Every message must reach every client in the end.
    const expected = sum(Array.from(nextSeq)) * N;
    await waitFor(() => totalGot >= expected, () => totalGot, 5000, 60000);
    out.late = late;
    out.lost = 0;
    got.forEach((count, k) => { out.lost += Math.max(0, nextSeq[k % S] - count); });
    if (out.lost > 0) violate(`${out.lost} of ${expected} deliveries never arrived`);

    // user-left: the last client leaves; each other client hears it once.
    sockets[N - 1].leaving = true;
    sockets[N - 1].disconnect();
    await waitFor(() => sum(left) >= N - 1, () => sum(left), 10000, 30000);
    await sleep(200);
    const wrong = left.slice(0, N - 1).filter((c) => c !== 1).length;
    if (wrong) violate(`${wrong} of ${N - 1} remaining clients did not get exactly one user-left`);
  }
  closing = true;
  sockets.forEach((s) => s.disconnect());
  out.violations = violations;
  out.errors = errors.slice(0, 10);
  out.exit = errors.length ? 2 : violations.length ? 1 : 0;
  out.ok = out.exit === 0;
  process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(out.exit));
}

// Bounded in time: connecting, every step with its drain, and the final checks.
setTimeout(() => {
  console.error('load.js: timed out');
  const out = { ok: false, exit: 3, error: 'timeout', violations, errors };
  process.stdout.write(`${JSON.stringify(out)}\n`, () => process.exit(3));
}, (600 + opt.maxSteps * (opt.duration + 45)) * 1000).unref();
main().catch((e) => {
  console.error(e.stack);
  process.stdout.write(`${JSON.stringify({ ok: false, exit: 3, error: String(e) })}\n`, () => process.exit(3));
});
