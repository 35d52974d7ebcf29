// baresip helpers for the e2e scenarios: its ctrl_tcp control socket (JSON in netstrings:
// `LEN:{"command": …, "params": …, "token": …},`; responses carry the token, events
// `{"event": true, "type": "CALL_CLOSED", "param": "486 Busy Here", …}`) and its sndfile
// recordings.

import net from 'node:net';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { readWav } from './audio.mjs';
import { note, waitFor } from './harness.mjs';

/** Connects to baresip's ctrl_tcp at "host:port". Returns { connected, events, command(name,
 *  params) → response or null after 5 s, close() }; events: every event frame, with `at`
 *  (Date.now()) added. */
export async function baresipControl(addr) {
  const [host, port] = addr.split(':');
  const sock = net.connect(Number(port), host);
  const c = { connected: false, events: [], responses: new Map(), close: () => sock.destroy() };
  let buf = Buffer.alloc(0);
  sock.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    for (;;) { // netstrings: LEN ":" BYTES ","
      const colon = buf.indexOf(':');
      if (colon < 0) break;
      const len = Number(buf.subarray(0, colon).toString());
      if (!Number.isInteger(len) || buf.length < colon + 1 + len + 1) break;
      const body = buf.subarray(colon + 1, colon + 1 + len).toString();
      buf = buf.subarray(colon + 2 + len);
      let msg;
      try { msg = JSON.parse(body); } catch { continue; }
      if (msg.event) c.events.push({ ...msg, at: Date.now() });
      else if (msg.response) c.responses.set(msg.token, msg);
    }
  });
  sock.on('error', (err) => note(`baresip ctrl_tcp ${addr}: ${err.message}`));
  c.connected = await new Promise((resolve) => {
    sock.once('connect', () => resolve(true));
    sock.once('error', () => resolve(false));
    setTimeout(() => resolve(false), 5000);
  });
  let n = 0;
  c.command = async (command, params) => {
    const token = `e2e-${++n}`;
    const body = JSON.stringify(params === undefined ? { command, token } : { command, params, token });
    sock.write(`${Buffer.byteLength(body)}:${body},`);
    return waitFor(`baresip ${command}`, () => c.responses.get(token), 5000, 50);
  };
  return c;
}

/** The newest finished sndfile recording in `dir` ending with `suffix` (e.g. "-dec.wav": what
 *  the phone received), or null while there is none. baresip writes the RIFF sizes when the call
 *  closes. */
export function finishedRecording(dir, suffix) {
  if (!dir || !existsSync(dir)) return null;
  const files = readdirSync(dir).filter((f) => f.endsWith(suffix)).map((f) => join(dir, f));
  if (!files.length) return null;
  const f = files.sort().at(-1);
  try {
    const w = readWav(f);
    return w.samples.length > 0 && statSync(f).size > 44 ? f : null;
  } catch { return null; }
}
