#!/usr/bin/env python3
"""rtp-sniff.py — count the RTP a sipp phone exchanges with the gateway, on the namespace's `lo`.

    rtp-sniff.py OUT_FILE PORT [PORT...]

Captures every UDP packet on `lo` whose source or destination port is one of PORTs (the sipp
phone's media ports) with an AF_PACKET socket (needs CAP_NET_RAW, which the runner's user
namespace gives), and writes one line per packet to OUT_FILE:

    t_ms dir sport dport pt marker seq timestamp ssrc payload_len [event end volume duration]

dir is `to` (toward the phone, i.e. the PBX side) or `from`; pt is `rtcpNNN` for RTCP and `-`
for non-RTP. The last four fields (event, end bit, volume, duration) are present only for what
looks like an RFC 4733 telephone-event (dynamic PT 96-127 with a 4-byte payload). Loopback shows
each packet twice (outgoing and incoming): only the outgoing copy is counted. Runs until SIGTERM/SIGINT; lines are flushed as they are written.
"""
import os
import select
import signal
import socket
import struct
import sys
import time

PACKET_OUTGOING = 4
ETH_P_ALL = 0x0003


def main():
    if len(sys.argv) < 3:
        print(__doc__, file=sys.stderr)
        return 2
    out = open(sys.argv[1], 'w', buffering=1)
    ports = {int(p) for p in sys.argv[2:]}
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind(('lo', 0))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    signal.signal(signal.SIGINT, lambda *_: stop.append(1))
    # Tell the caller we are capturing (it waits for this file before starting the call).
    open(sys.argv[1] + '.ready', 'w').close()
    while not stop:
        try:
            r, _, _ = select.select([s], [], [], 0.2)
        except InterruptedError:
            continue
        if not r:
            continue
        try:
            frame, addr = s.recvfrom(65535)
        except InterruptedError:
            continue
        if addr[2] != PACKET_OUTGOING:
            continue
        # lo frames carry a 14-byte Ethernet header (zero MACs).
        if len(frame) < 14 + 20 + 8 or frame[12:14] != b'\x08\x00':
            continue
        ip = frame[14:]
        ihl = (ip[0] & 0x0F) * 4
        if ip[9] != 17:  # UDP
            continue
        udp = ip[ihl:]
        sport, dport, ulen = struct.unpack('!HHH', udp[:6])
        if sport not in ports and dport not in ports:
            continue
        payload = udp[8:ulen]
        direction = 'to' if dport in ports else 'from'
        t_ms = int(time.time() * 1000)
        if len(payload) < 12 or (payload[0] >> 6) != 2:
            out.write(f'{t_ms} {direction} {sport} {dport} - - - - - {len(payload)}\n')
            continue
        b1 = payload[1]
        pt, marker = b1 & 0x7F, b1 >> 7
        if 72 <= pt <= 79:  # RTCP (RFC 5761 §4): PT 200-207 with the marker bit
            out.write(f'{t_ms} {direction} {sport} {dport} rtcp{payload[1]} - - - - {len(payload)}\n')
            continue
        seq, ts, ssrc = struct.unpack('!HII', payload[2:12])
        cc = payload[0] & 0x0F
        hdr = 12 + 4 * cc
        if payload[0] & 0x10 and len(payload) >= hdr + 4:  # header extension
            hdr += 4 + 4 * struct.unpack('!H', payload[hdr + 2:hdr + 4])[0]
        body = payload[hdr:]
        if payload[0] & 0x20 and body:  # padding
            body = body[:-body[-1]]
        line = f'{t_ms} {direction} {sport} {dport} {pt} {marker} {seq} {ts} {ssrc} {len(body)}'
        if 96 <= pt <= 127 and len(body) == 4:
            event, flags, duration = struct.unpack('!BBH', body)
            line += f' {event} {flags >> 7} {flags & 0x3F} {duration}'
        out.write(line + '\n')
    out.close()
    return 0


if __name__ == '__main__':
    sys.exit(main())
