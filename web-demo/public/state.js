// The page's state, shared by app.js (connection, events) and calls.js (call actions), and the
// small helpers both use. What the page has seen is kept for `window.sipgwDemo`.

import { render } from './ui.js';

export { who } from './ui.js';

export const state = {
  ws: null,              // GatewayConnection while a socket is open or opening
  sessionId: null,       // from the hello (or claim) response
  graceS: 0,             // reattach_grace_s of the hello response
  registration: 'none',  // none | registering | registered | failed | unregistering
  user: null,
  call: null,            // Call (outgoing, or incoming once Answer was clicked)
  incoming: null,        // { callId, caller, callerName, callee, offer, busy } while ringing
  reconnect: null,       // { saved, attempt, deadline, timer } while re-attaching after a drop
  get reconnecting() { return this.reconnect !== null; },
  userDisconnect: false,
  dtmfSent: '',
  dtmfReceived: '',
};
export const seen = {
  events: [],       // every event frame from the gateway, with a local timestamp
  responses: [],    // every response frame
  lastStats: null,  // the newest getStats summary of the current (or last) call
};

export const redraw = () => render(state);
export const request = (name, fields, opts) => (state.ws
  ? state.ws.request(name, fields, opts)
  : Promise.resolve({ response: name, ok: false, error: { code: 0, reason: 'not connected' } }));
export const errText = (res) => `${res.error?.code} ${res.error?.reason}`;
