// The package entry (dist/sipgateway.js): SIPClient (the seed's API), Sipgateway (the protocol
// layer), MediaSession (one call's WebRTC side), the typed errors and the protocol's types.
export { SIPClient, SEED_EVENTS, EXTRA_EVENTS } from './sip-client.js';
export type {
  SIPClientOptions, SIPClientEvents, SIPClientEventName, SIPClientEventArgs, RegisterOptions, SIPClientState,
  CallInfo, CallState, IncomingInfo, RegistrationState,
} from './sip-client.js';
export { Sipgateway, summarize } from './sipgateway.js';
export type {
  SipgatewayOptions, SipgatewayListeners, SessionInfo, ReadyInfo, ClaimResult, HelloResult, RequestOptions,
  ConnectionLostInfo, ReconnectingInfo, ClosedInfo, SipgatewayState, WebSocketConstructor,
} from './sipgateway.js';
export { MediaSession, PC_CONFIG } from './media.js';
export type { MediaStats, MediaSessionHooks } from './media.js';
export { estimateMos, summarizeStats } from './call-stats.js';
export type { CallStats } from './call-stats.js';
export {
  SipGatewayClientError, GatewayError, ConnectionError, TimeoutError, SipError, MediaError,
} from './errors.js';
export * from './protocol.js';
