package dev.trellis.gateway.dns;

import java.io.IOException;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Section;

/** DNS messages to and from bytes, with the size rules of UDP, EDNS0 and TCP. */
final class DnsWire {

    /** The classic UDP limit, for clients without EDNS0 (RFC 1035 §4.2.1). */
    static final int CLASSIC_UDP_LIMIT = 512;
    /** TCP messages carry a two-byte length (RFC 1035 §4.2.2). */
    static final int TCP_LIMIT = 65535;

    private DnsWire() {
    }

    /**
     * The largest response a client can take: over TCP, the TCP limit; over UDP, the size it advertised in its OPT
     * record (never below 512, never above {@code maxUdp}), else 512.
     */
    static int responseLimit(Message query, boolean tcp, int maxUdp) {
        if (tcp) {
            return TCP_LIMIT;
        }
        OPTRecord opt = query.getOPT();
        if (opt == null) {
            return CLASSIC_UDP_LIMIT;
        }
        return Math.max(CLASSIC_UDP_LIMIT, Math.min(opt.getPayloadSize(), maxUdp));
    }

    /**
     * {@code response} as bytes for the client of {@code query}: with an OPT record when the query had one
     * (RFC 6891 §7), cut to whole RRsets with the TC bit set when it does not fit (the client retries over TCP).
     */
    static byte[] encode(Message response, Message query, boolean tcp, int maxUdp) {
        if (query.getOPT() != null && response.getOPT() == null) {
            response.addRecord(new OPTRecord(maxUdp, 0, 0, 0), Section.ADDITIONAL);
        }
        return response.toWire(responseLimit(query, tcp, maxUdp));
    }

    /**
     * A FORMERR for bytes that are not a DNS message but start with a header: the client learns its query was
     * malformed instead of waiting for a timeout. Null when there is no header to answer, or when the bytes are a
     * response (answering responses would let two servers bounce errors at each other forever).
     */
    static byte[] formErrFor(byte[] bytes) {
        if (bytes.length < Header.LENGTH) {
            return null;
        }
        Header header;
        try {
            header = new Header(bytes);
        } catch (IOException | RuntimeException e) {
            return null;
        }
        if (header.getFlag(Flags.QR)) {
            return null;
        }
        Message response = new Message(header.getID());
        Header h = response.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode(header.getOpcode());
        if (header.getFlag(Flags.RD)) {
            h.setFlag(Flags.RD);
        }
        h.setRcode(Rcode.FORMERR);
        return response.toWire();
    }
}
