// A webhook receiver for the `events` e2e scenario (started by run-call-e2e.sh inside its
// loopback-only namespace, before the gateway):
//
//   node webhook-receiver.mjs ADDRESS PORT LOG.jsonl
//
// It fails on purpose: the 1st POST is answered 500, on the 2nd the connection is dropped once
// the body has been read (no response at all), every later one is answered 200. Each request is
// appended to LOG.jsonl as {n, at_ms, method, url, delivery, attempt, content_type, outcome,
// body (the parsed JSON, or the raw text if it does not parse)}, so the scenario can check
// retries (same X-SipGateway-Delivery) and dedupe the delivered events by `seq`.

import { createServer } from 'node:http';
import { appendFileSync, writeFileSync } from 'node:fs';

const [address, port, logPath] = process.argv.slice(2);
if (!address || !port || !logPath) {
  console.error('usage: webhook-receiver.mjs ADDRESS PORT LOG.jsonl');
  process.exit(2);
}
writeFileSync(logPath, '');

let n = 0;
const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    n += 1;
    const text = Buffer.concat(chunks).toString();
    let body;
    try { body = JSON.parse(text); } catch { body = text; }
    const outcome = n === 1 ? 'http-500' : n === 2 ? 'dropped' : 'http-200';
    appendFileSync(logPath, `${JSON.stringify({
      n, at_ms: Date.now(), method: req.method, url: req.url,
      delivery: req.headers['x-sipgateway-delivery'] ?? null, attempt: req.headers['x-sipgateway-attempt'] ?? null,
      content_type: req.headers['content-type'] ?? null, outcome, body,
    })}\n`);
    console.log(`#${n} ${req.method} ${req.url} delivery=${req.headers['x-sipgateway-delivery']} attempt=${req.headers['x-sipgateway-attempt']} ` +
      `${Array.isArray(body) ? `${body.length} events (seq ${body.map((e) => e.seq).join(',')})` : 'not an array'} → ${outcome}`);
    if (outcome === 'http-500') {
      res.writeHead(500, { 'Content-Type': 'text/plain' }).end('failing on purpose (1st request)\n');
    } else if (outcome === 'dropped') {
      req.socket.destroy(); // no status line: the gateway sees a reset / EOF
    } else {
      res.writeHead(200, { 'Content-Type': 'text/plain' }).end('ok\n');
    }
  });
});
server.listen(Number(port), address, () => console.log(`webhook receiver on http://${address}:${port}/`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
