package dev.trellis.gateway.dns;

import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.xbill.DNS.CNAMERecord;
import org.xbill.DNS.DClass;
import org.xbill.DNS.Flags;
import org.xbill.DNS.Header;
import org.xbill.DNS.Message;
import org.xbill.DNS.Name;
import org.xbill.DNS.OPTRecord;
import org.xbill.DNS.Opcode;
import org.xbill.DNS.Rcode;
import org.xbill.DNS.Record;
import org.xbill.DNS.Section;
import org.xbill.DNS.Type;

/**
 * Answers one parsed query from a {@link DnsTable}, as the VPC's recursive resolver would: local zones with
 * authority, CNAME chains followed across zones (and into the generated names) with the whole chain in the answer,
 * the rest handed back as a {@link Outcome.Forward} for the upstream resolver. Pure and synchronous: the server does
 * the I/O. Work per query is bounded by {@link #MAX_CHAIN} look-ups.
 */
final class DnsResponder {

    /** CNAMEs followed before giving up (BIND and Unbound use limits of this order). */
    static final int MAX_CHAIN = 16;

    /** What to do with a query. */
    sealed interface Outcome {
        /** Send this response. */
        record Answer(Message response) implements Outcome {
        }

        /**
         * Ask the upstream resolver for ({@code name}, {@code type}) and append its answer to {@code partial}, which
         * holds the CNAME chain followed so far (empty when the name asked is not local).
         */
        record Forward(Message partial, Name name, int type) implements Outcome {
        }
    }

    private final boolean hasUpstream;
    private final int advertisedUdpSize;

    /**
     * @param hasUpstream       whether names outside the local zones are forwarded (else REFUSED)
     * @param advertisedUdpSize the UDP payload size of the OPT records this server sends
     */
    DnsResponder(boolean hasUpstream, int advertisedUdpSize) {
        this.hasUpstream = hasUpstream;
        this.advertisedUdpSize = advertisedUdpSize;
    }

    /** The outcome for {@code query} (a parsed message whose QR bit is clear). */
    Outcome respond(Message query, DnsTable table) {
        Header header = query.getHeader();
        if (header.getOpcode() != Opcode.QUERY) {
            return answer(query, Rcode.NOTIMP);
        }
        if (header.getCount(Section.QUESTION) != 1) {
            return answer(query, Rcode.FORMERR);
        }
        List<Record> additional = query.getSection(Section.ADDITIONAL);
        if (additional.stream().filter(r -> r.getType() == Type.OPT).count() > 1) {
            return answer(query, Rcode.FORMERR); // RFC 6891 §6.1.1
        }
        OPTRecord opt = query.getOPT();
        if (opt != null && opt.getVersion() != 0) {
            return badVersion(query);
        }
        Record question = query.getQuestion();
        int type = question.getType();
        if (question.getDClass() != DClass.IN && question.getDClass() != DClass.ANY) {
            return answer(query, Rcode.REFUSED);
        }
        if (type == Type.OPT || type == Type.TSIG || type == Type.TKEY) {
            return answer(query, Rcode.FORMERR);
        }
        if (type == Type.AXFR || type == Type.IXFR || type == Type.MAILA || type == Type.MAILB) {
            return answer(query, Rcode.REFUSED); // no zone transfers: the zones live in the control plane
        }
        return resolve(query, question.getName().canonicalize(), type, table);
    }

    private Outcome resolve(Message query, Name qname, int type, DnsTable table) {
        Message response = reply(query, Rcode.NOERROR);
        response.getHeader().setFlag(Flags.AA);
        Set<Name> seen = new HashSet<>();
        seen.add(qname);
        Name name = qname;
        for (int step = 0; ; step++) {
            DnsZoneView zone = table.zoneFor(name);
            if (zone == null) {
                return leaveLocalData(query, response, name, type, step == 0);
            }
            DnsZoneView.Lookup lookup = zone.lookup(name);
            if (!(lookup instanceof DnsZoneView.Lookup.Node node)) {
                // RFC 6604: the rcode is about the last name of the chain.
                response.getHeader().setRcode(Rcode.NXDOMAIN);
                response.addRecord(zone.negativeSoa(), Section.AUTHORITY);
                return new Outcome.Answer(response);
            }
            Map<Integer, List<Record>> rrsets = node.rrsets();
            List<Record> wanted = type == Type.ANY
                    ? rrsets.values().stream().flatMap(List::stream).toList()
                    : rrsets.get(type);
            if (wanted != null && !wanted.isEmpty()) {
                wanted.forEach(r -> response.addRecord(r, Section.ANSWER));
                return new Outcome.Answer(response);
            }
            List<Record> cname = rrsets.get(Type.CNAME);
            if (cname == null || cname.isEmpty()) {
                response.addRecord(zone.negativeSoa(), Section.AUTHORITY); // NODATA: the name exists, not the type
                return new Outcome.Answer(response);
            }
            response.addRecord(cname.get(0), Section.ANSWER);
            Name target = ((CNAMERecord) cname.get(0)).getTarget().canonicalize();
            if (!seen.add(target) || step + 1 >= MAX_CHAIN) {
                // A loop, or a chain too long to be sane: what we followed, and SERVFAIL, as recursive resolvers do.
                response.getHeader().setRcode(Rcode.SERVFAIL);
                return new Outcome.Answer(response);
            }
            name = target;
        }
    }

    /** {@code name} is in none of this VPC's zones: the upstream's, or REFUSED/what we have when there is none. */
    private Outcome leaveLocalData(Message query, Message response, Name name, int type, boolean first) {
        if (!hasUpstream) {
            // A chain leaving our zones stops where our data stops (the client may chase the last CNAME itself).
            return first ? answer(query, Rcode.REFUSED) : new Outcome.Answer(response);
        }
        response.getHeader().unsetFlag(Flags.AA); // part of the answer will not be ours
        return new Outcome.Forward(response, name, type);
    }

    /**
     * The response to a {@link Outcome.Forward}: the chain so far plus the upstream's answer and, for its negative
     * answers, its authority section (the SOA that tells how long to cache the "no"); SERVFAIL when the upstream
     * failed or timed out ({@code upstream} null).
     */
    Message complete(Outcome.Forward forward, Message upstream) {
        Message response = forward.partial();
        if (upstream == null) {
            response.getHeader().setRcode(Rcode.SERVFAIL);
            return response;
        }
        int rcode = upstream.getHeader().getRcode();
        response.getHeader().setRcode(rcode);
        List<Record> answers = upstream.getSection(Section.ANSWER);
        answers.forEach(r -> response.addRecord(r, Section.ANSWER));
        if (answers.isEmpty() || rcode != Rcode.NOERROR) {
            upstream.getSection(Section.AUTHORITY).stream().filter(r -> r.getType() == Type.SOA)
                    .forEach(r -> response.addRecord(r, Section.AUTHORITY));
        }
        return response;
    }

    /** A response to {@code query} with {@code rcode}, the question echoed, no records. */
    Message reply(Message query, int rcode) {
        Header q = query.getHeader();
        Message response = new Message(q.getID());
        Header h = response.getHeader();
        h.setFlag(Flags.QR);
        h.setOpcode(q.getOpcode());
        if (q.getFlag(Flags.RD)) {
            h.setFlag(Flags.RD);
        }
        if (q.getFlag(Flags.CD)) {
            h.setFlag(Flags.CD);
        }
        if (hasUpstream) {
            h.setFlag(Flags.RA);
        }
        h.setRcode(rcode);
        Record question = query.getQuestion();
        if (question != null && q.getCount(Section.QUESTION) == 1) {
            response.addRecord(question, Section.QUESTION);
        }
        return response;
    }

    private Outcome answer(Message query, int rcode) {
        return new Outcome.Answer(reply(query, rcode));
    }

    /** BADVERS (16): the low 4 bits in the header, the high 8 in our OPT (RFC 6891 §6.1.3). */
    private Outcome badVersion(Message query) {
        Message response = reply(query, Rcode.BADVERS & 0xF);
        response.addRecord(new OPTRecord(advertisedUdpSize, Rcode.BADVERS >>> 4, 0, 0),
                Section.ADDITIONAL);
        return new Outcome.Answer(response);
    }
}
