// Tiny HTTPS static file server used by the `browser-env` e2e scenario: it serves the demo page
// (web-demo/public) and /healthz the way the gateway does, so the browser side of the harness
// (Chromium in a loopback-only namespace, fake microphone, loopback ICE) is checked without the
// gateway. Usage: node static-server.mjs ROOT CERT KEY HOST PORT
import { createServer } from 'node:https';
import { readFileSync, createReadStream, statSync } from 'node:fs';
import { extname, join, normalize } from 'node:path';

const [root, cert, key, host, port] = process.argv.slice(2);
if (!port) {
  console.error('usage: node static-server.mjs ROOT CERT KEY HOST PORT');
  process.exit(2);
}
const types = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.wav': 'audio/wav',
};

createServer({ cert: readFileSync(cert), key: readFileSync(key) }, (req, res) => {
  const url = new URL(req.url, 'https://x');
  if (url.pathname === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    return;
  }
  const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
  if (rel.startsWith('..')) { res.writeHead(403).end(); return; }
  let file = join(root, rel || 'index.html');
  try {
    if (statSync(file).isDirectory()) file = join(file, 'index.html');
    statSync(file);
  } catch {
    res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    return;
  }
  res.writeHead(200, { 'content-type': types[extname(file)] ?? 'application/octet-stream' });
  createReadStream(file).pipe(res);
}).listen(Number(port), host, () => console.log(`static-server: https://${host}:${port}/ serving ${root}`));
