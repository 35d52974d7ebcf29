// The seed's usage example (MISSION.md §1, seeds/003), unchanged except for the import and the
// values it leaves to the reader (the two media elements). `npm run typecheck` compiles it
// against the library's published types; it is not run.
import { SIPClient } from "../src/index";

declare const localMediaElement: HTMLMediaElement;
declare const remoteMediaElement: HTMLMediaElement;

const sipClient = new SIPClient({
  server: "your-sip-server.com",
  port: 8443,
  protocol: "wss",
  client_id: "your-client-id",
  debug: false,
  on_event: (event, data) => {
    // Handle SIP events
    console.log("SIP event:", event, data);
  },
  on_error: (error) => {
    // Handle errors
    console.error("SIP error:", error);
  },
  local_stream: localMediaElement,
  remote_stream: remoteMediaElement,
});

sipClient.connect();

sipClient.register({
  user: "your-sip-username",
  password: "your-sip-password",
  domain: "sip.domain.com",
  port: 5060,
  transport: "udp",
});

sipClient.start_call("11992252626", "sip.domain.com", 5060);

sipClient.mute(); // Colocar em mudo
sipClient.unmute(); // Tirar do mudo
sipClient.hold(); // Colocar chamada em espera
sipClient.unhold(); // Tirar chamada da espera
sipClient.hangup(); // Desligar a chamada
sipClient.decline(); // Recusar a chamada
sipClient.send_dtmf("123"); // Enviar tons DTMF (para transfêrencias)
sipClient.start_recording(); // Iniciar gravação da chamada
sipClient.stop_recording(); // Parar gravação da chamada
sipClient.disconnect(); // Desconectar ramal e do gateway

// Beyond the snippet: the payload is narrowed by the event name.
export const narrowed = new SIPClient({
  server: "gw", port: 8443, protocol: "wss",
  on_event: (event, data) => {
    if (event === "hangup") console.log(data.cause, data.code);
    if (event === "incomingcall") console.log(data.caller, data.caller_name);
  },
});
