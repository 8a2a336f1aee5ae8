package dev.trellis.controlplane.acm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.trellis.controlplane.pki.IssuedCertificate;
import dev.trellis.controlplane.pki.KeyType;
import dev.trellis.controlplane.store.StoreTransaction;
import dev.trellis.controlplane.store.StoredResource;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/**
 * ImportCertificate, RequestCertificate, DescribeCertificate, GetCertificate, ListCertificates and
 * DeleteCertificate. Choices where ACM's documentation is silent are in docs/api-acm.md.
 */
final class CertificateOperations {

    /** How long a requested certificate is valid: ACM's private certificates last 13 months (395 days). */
    static final Duration REQUESTED_VALIDITY = Duration.ofDays(395);
    /** X.509's upper bound for a common name: ACM refuses a longer DomainName for the same reason. */
    static final int MAX_DOMAIN_NAME = 64;
    /** ListCertificates' page size when MaxItems is not given (ACM does not document its own). */
    static final int DEFAULT_MAX_ITEMS = 1000;
    /** What ListCertificates lists when Includes.keyTypes is not given (ACM user guide, import troubleshooting). */
    static final List<String> DEFAULT_KEY_TYPES = List.of("RSA_1024", "RSA_2048");

    void register(Map<String, AcmOperation> ops) {
        ops.put("ImportCertificate", this::importCertificate);
        ops.put("RequestCertificate", this::requestCertificate);
        ops.put("DescribeCertificate", this::describe);
        ops.put("GetCertificate", this::get);
        ops.put("ListCertificates", this::list);
        ops.put("DeleteCertificate", this::delete);
    }

    // ImportCertificate

    private ObjectNode importCertificate(AcmContext ctx, ObjectNode input) {
        String replaced = text(input, "CertificateArn");
        if (replaced != null) {
            CertificateRecords.requireCertificateArn(ctx.config(), replaced);
        }
        String arn = replaced != null ? replaced
                : CertificateRecords.arn(ctx.config(), ctx.accountId(), UUID.randomUUID().toString());
        ctx.authorize("ImportCertificate", arn);
        if (replaced != null && input.has("Tags")) {
            throw AcmErrors.validation("Tags cannot be applied when re-importing a certificate; use"
                    + " AddTagsToCertificate");
        }
        CertificateTagOperations.validate(input.get("Tags"));
        Instant now = ctx.now();
        // Parsing and the key check (a signature) run before the serialised write transaction.
        ImportMaterial material = ImportMaterial.parse(bytes(input, "Certificate"), bytes(input, "PrivateKey"),
                input.hasNonNull("CertificateChain") ? bytes(input, "CertificateChain") : null, now);
        String sealed = ctx.masterKey().seal(material.privateKey.getEncoded(), arn);
        ObjectNode document = CertificateRecords.document(arn, material.facts, material.certificate,
                material.chain, sealed);
        document.put("Type", "IMPORTED");
        document.put("ImportedAt", CertificateRecords.timestamp(now));
        ctx.store().write(tx -> {
            if (replaced == null) {
                CertificateTagOperations.apply(document, input.get("Tags"));
                String id = arn.substring(arn.lastIndexOf('/') + 1);
                return tx.insert(StoredResource.create(CertificateRecords.STORE_KIND, id, arn, ctx.accountId(),
                        ctx.accountId(), null, document));
            }
            StoredResource existing = CertificateRecords.require(tx, ctx.config(), ctx.accountId(), arn);
            List<CertificateUsers.User> users = ctx.users().byCertificate(tx, ctx.accountId())
                    .getOrDefault(arn, List.of());
            checkReimport(existing.document(), material.facts, users);
            if (existing.document().has(CertificateRecords.TAGS)) {
                document.set(CertificateRecords.TAGS, existing.document().get(CertificateRecords.TAGS));
            }
            return tx.update(existing.withDocument(document));
        });
        return JsonNodeFactory.instance.objectNode().put("CertificateArn", arn);
    }

    /** ACM's re-import rules (user guide, "Reimport a certificate"), and Trellis's: users stay covered. */
    private static void checkReimport(JsonNode old, CertificateFacts facts,
                                      List<CertificateUsers.User> users) {
        String arn = old.get("CertificateArn").asText();
        if (!"IMPORTED".equals(old.path("Type").asText())) {
            throw AcmErrors.validation("Certificate " + arn + " was not imported (its type is "
                    + old.path("Type").asText() + "); only imported certificates can be re-imported");
        }
        String oldKey = CertificateRecords.keyAlgorithm(old);
        if (!oldKey.equals(facts.keyAlgorithm())) {
            throw AcmErrors.validation("The key type and size cannot be changed when re-importing: certificate "
                    + arn + " has a " + oldKey + " key, the new certificate a " + facts.keyAlgorithm() + " key");
        }
        Set<String> keyUsages = new HashSet<>(facts.keyUsages());
        for (JsonNode usage : old.path("KeyUsages")) {
            String name = usage.path("Name").asText();
            boolean exempt = name.equals("KEY_ENCIPHERMENT") && oldKey.startsWith("EC_");
            if (!keyUsages.contains(name) && !exempt) {
                throw AcmErrors.validation("A re-imported certificate may add Key Usage values but not remove them:"
                        + " the new certificate lacks " + name);
            }
        }
        Set<String> extended = new HashSet<>(facts.extendedKeyUsages().values());
        for (JsonNode usage : old.path("ExtendedKeyUsages")) {
            String name = usage.path("Name").asText();
            if (!extended.contains(name) && !name.equals("TLS_WEB_CLIENT_AUTHENTICATION")
                    && !name.equals("CUSTOM")) {
                throw AcmErrors.validation("A re-imported certificate may add Extended Key Usage values but not"
                        + " remove them: the new certificate lacks " + name);
            }
        }
        for (CertificateUsers.User user : users) {
            if (user.domainName() != null && !DomainNames.anyCovers(facts.names(), user.domainName())) {
                throw AcmErrors.validation("The new certificate does not cover '" + user.domainName() + "', the"
                        + " custom domain name of " + user.arn() + ", which uses this certificate; its names are "
                        + String.join(", ", facts.names()));
            }
        }
    }

    // RequestCertificate

    private ObjectNode requestCertificate(AcmContext ctx, ObjectNode input) {
        String domainName = input.get("DomainName").asText();
        if (domainName.length() > MAX_DOMAIN_NAME) {
            throw AcmErrors.validation("DomainName '" + domainName + "' is " + domainName.length()
                    + " characters; the first domain name becomes the certificate's common name and may have at"
                    + " most " + MAX_DOMAIN_NAME + ". Put longer names in SubjectAlternativeNames");
        }
        List<String> names = names(domainName, input.get("SubjectAlternativeNames"));
        KeyType keyType = KeyType.RSA_2048;
        if (input.hasNonNull("KeyAlgorithm")) {
            String requested = input.get("KeyAlgorithm").asText();
            keyType = KeyType.ofAcmName(requested).orElseThrow(() -> AcmErrors.invalidParameter("KeyAlgorithm "
                    + requested + " cannot be requested; ACM issues RSA_2048, EC_prime256v1 or EC_secp384r1 keys"));
        }
        if (input.hasNonNull("CertificateAuthorityArn")) {
            throw AcmErrors.invalidParameter("Trellis has no AWS Private CA to issue from: omit"
                    + " CertificateAuthorityArn and Trellis's internal CA issues the certificate");
        }
        if (input.hasNonNull("ManagedBy")) {
            throw AcmErrors.invalidParameter("ManagedBy " + input.get("ManagedBy").asText() + " is not supported"
                    + " by Trellis");
        }
        if ("ENABLED".equals(input.path("Options").path("Export").asText())) {
            throw AcmErrors.invalidParameter("Exportable certificates are not supported by Trellis: private keys"
                    + " never leave the control plane (omit Options.Export)");
        }
        CertificateTagOperations.validate(input.get("Tags"));
        String token = text(input, "IdempotencyToken");
        if (token != null) {
            Optional<String> earlier = ctx.store().read(tx -> earlierRequest(tx, ctx, token));
            if (earlier.isPresent()) {
                ctx.authorize("RequestCertificate", earlier.get());
                return JsonNodeFactory.instance.objectNode().put("CertificateArn", earlier.get());
            }
        }
        String arn = CertificateRecords.arn(ctx.config(), ctx.accountId(), UUID.randomUUID().toString());
        ctx.authorize("RequestCertificate", arn);

        IssuedCertificate issued = ctx.ca().issue(names, REQUESTED_VALIDITY, keyType);
        CertificateFacts facts;
        try {
            facts = CertificateFacts.of(issued.certificate());
        } catch (CertificateException e) {
            throw new IllegalStateException("the internal CA issued an unreadable certificate", e);
        }
        Instant now = ctx.now();
        ObjectNode document = CertificateRecords.document(arn, facts, issued.certificate(), issued.chain(),
                ctx.masterKey().seal(issued.privateKey().getEncoded(), arn));
        // ACM reports its names as requested: DomainName first, then the other names.
        document.put("DomainName", domainName);
        ArrayNode sans = document.putArray("SubjectAlternativeNames");
        names.forEach(sans::add);
        document.put("Type", "PRIVATE");
        document.put("CreatedAt", CertificateRecords.timestamp(now));
        document.put("IssuedAt", CertificateRecords.timestamp(now));
        if (input.hasNonNull("Options")) {
            document.set("Options", input.get("Options").deepCopy());
        }
        CertificateTagOperations.apply(document, input.get("Tags"));
        String result = ctx.store().write(tx -> {
            if (token != null) {
                Optional<String> earlier = earlierRequest(tx, ctx, token);
                if (earlier.isPresent()) {
                    return earlier.get(); // a concurrent request with the same token won
                }
                tx.recordIdempotentResponse(ctx.accountId(), "RequestCertificate", token,
                        new StoreTransaction.IdempotentResponse("-", arn));
            }
            tx.insert(StoredResource.create(CertificateRecords.STORE_KIND, arn.substring(arn.lastIndexOf('/') + 1),
                    arn, ctx.accountId(), ctx.accountId(), null, document));
            return arn;
        });
        return JsonNodeFactory.instance.objectNode().put("CertificateArn", result);
    }

    /** The certificate an earlier request with this token created, while it still exists. */
    private static Optional<String> earlierRequest(StoreTransaction tx, AcmContext ctx, String token) {
        return tx.idempotentResponse(ctx.accountId(), "RequestCertificate", token)
                .map(StoreTransaction.IdempotentResponse::response)
                .filter(arn -> CertificateRecords.find(tx, ctx.accountId(), arn).isPresent());
    }

    /** DomainName and the SubjectAlternativeNames, once each (DNS names compare case-insensitively). */
    private static List<String> names(String domainName, JsonNode alternatives) {
        Map<String, String> unique = new LinkedHashMap<>();
        unique.put(domainName.toLowerCase(Locale.ROOT), domainName);
        if (alternatives != null) {
            alternatives.forEach(n -> unique.putIfAbsent(n.asText().toLowerCase(Locale.ROOT), n.asText()));
        }
        if (unique.size() > 100) {
            throw AcmErrors.validation("A certificate can have at most 100 domain names, DomainName included;"
                    + " this request has " + unique.size());
        }
        return List.copyOf(unique.values());
    }

    // DescribeCertificate, GetCertificate

    private ObjectNode describe(AcmContext ctx, ObjectNode input) {
        String arn = input.get("CertificateArn").asText();
        authorizeOn(ctx, "DescribeCertificate", arn);
        return ctx.store().read(tx -> {
            StoredResource certificate = CertificateRecords.require(tx, ctx.config(), ctx.accountId(), arn);
            List<CertificateUsers.User> users = ctx.users().byCertificate(tx, ctx.accountId())
                    .getOrDefault(arn, List.of());
            ObjectNode detail = certificate.document().deepCopy();
            detail.put("Status", CertificateRecords.status(detail, ctx.now()));
            ArrayNode inUseBy = detail.putArray("InUseBy");
            users.forEach(u -> inUseBy.add(u.arn()));
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.set("Certificate", detail);
            return out;
        });
    }

    private ObjectNode get(AcmContext ctx, ObjectNode input) {
        String arn = input.get("CertificateArn").asText();
        authorizeOn(ctx, "GetCertificate", arn);
        StoredResource certificate = ctx.store().read(tx ->
                CertificateRecords.require(tx, ctx.config(), ctx.accountId(), arn));
        ObjectNode out = JsonNodeFactory.instance.objectNode();
        out.put("Certificate", certificate.document().get(CertificateRecords.CERTIFICATE).asText());
        JsonNode chain = certificate.document().get(CertificateRecords.CHAIN);
        if (chain != null && !chain.isNull()) {
            out.put("CertificateChain", chain.asText());
        }
        return out;
    }

    /** Checks the ARN's form, then the caller's permission on it, before anything is looked up. */
    private static void authorizeOn(AcmContext ctx, String operation, String arn) {
        CertificateRecords.requireCertificateArn(ctx.config(), arn);
        ctx.authorize(operation, arn);
    }

    // ListCertificates

    private ObjectNode list(AcmContext ctx, ObjectNode input) {
        ctx.authorize("ListCertificates", "*");
        Set<String> statuses = strings(input.get("CertificateStatuses"));
        JsonNode includes = input.path("Includes");
        Set<String> keyTypes = strings(includes.get("keyTypes"));
        if (keyTypes.isEmpty()) {
            keyTypes = Set.copyOf(DEFAULT_KEY_TYPES);
        }
        Set<String> extendedKeyUsages = strings(includes.get("extendedKeyUsage"));
        Set<String> keyUsages = strings(includes.get("keyUsage"));
        boolean none = "ENABLED".equals(includes.path("exportOption").asText())
                || includes.hasNonNull("managedBy");
        boolean descending = "DESCENDING".equals(input.path("SortOrder").asText());
        int max = input.hasNonNull("MaxItems") ? input.get("MaxItems").asInt() : DEFAULT_MAX_ITEMS;
        long after = afterKey(input);
        Instant now = ctx.now();
        Set<String> wantedKeyTypes = keyTypes;

        return ctx.store().read(tx -> {
            Map<String, List<CertificateUsers.User>> users = ctx.users().byCertificate(tx, ctx.accountId());
            List<StoredResource> all = new ArrayList<>(tx.list(CertificateRecords.STORE_KIND, ctx.accountId(), -1,
                    Integer.MAX_VALUE));
            Comparator<StoredResource> order = Comparator.comparingLong(StoredResource::seq);
            all.sort(descending ? order.reversed() : order);
            ArrayNode summaries = JsonNodeFactory.instance.arrayNode();
            String nextToken = null;
            for (StoredResource certificate : all) {
                if (after >= 0 && (descending ? certificate.seq() >= after : certificate.seq() <= after)) {
                    continue;
                }
                JsonNode doc = certificate.document();
                String status = CertificateRecords.status(doc, now);
                if (none || !statuses.isEmpty() && !statuses.contains(status)
                        || !wantedKeyTypes.contains(CertificateRecords.keyAlgorithm(doc))
                        || !hasAny(doc.path("ExtendedKeyUsages"), extendedKeyUsages)
                        || !hasAny(doc.path("KeyUsages"), keyUsages)) {
                    continue;
                }
                if (summaries.size() == max) {
                    nextToken = token(summaries.get(max - 1).get("_seq").asLong());
                    break;
                }
                ObjectNode summary = summary(doc, status, users.containsKey(certificate.arn()));
                summary.put("_seq", certificate.seq());
                summaries.add(summary);
            }
            summaries.forEach(s -> ((ObjectNode) s).remove("_seq"));
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            out.set("CertificateSummaryList", summaries);
            if (nextToken != null) {
                out.put("NextToken", nextToken);
            }
            return out;
        });
    }

    private static ObjectNode summary(JsonNode doc, String status, boolean inUse) {
        ObjectNode summary = JsonNodeFactory.instance.objectNode();
        for (String field : List.of("CertificateArn", "DomainName", "Type", "KeyAlgorithm", "RenewalEligibility",
                "NotBefore", "NotAfter", "CreatedAt", "IssuedAt", "ImportedAt")) {
            if (doc.hasNonNull(field)) {
                summary.set(field, doc.get(field).deepCopy());
            }
        }
        summary.set("SubjectAlternativeNameSummaries", doc.get("SubjectAlternativeNames").deepCopy());
        summary.put("HasAdditionalSubjectAlternativeNames", false);
        summary.put("Status", status);
        ArrayNode keyUsages = summary.putArray("KeyUsages");
        doc.path("KeyUsages").forEach(u -> keyUsages.add(u.path("Name").asText()));
        ArrayNode extended = summary.putArray("ExtendedKeyUsages");
        doc.path("ExtendedKeyUsages").forEach(u -> extended.add(u.path("Name").asText()));
        summary.put("InUse", inUse);
        return summary;
    }

    /** Whether a certificate's usages include one of {@code wanted} (every certificate when none is wanted). */
    private static boolean hasAny(JsonNode usages, Set<String> wanted) {
        if (wanted.isEmpty()) {
            return true;
        }
        if (usages.isEmpty()) {
            return wanted.contains("NONE");
        }
        for (JsonNode usage : usages) {
            String name = usage.path("Name").asText();
            if (wanted.contains(name) || wanted.contains("ANY")) {
                return true;
            }
        }
        return false;
    }

    private static String token(long seq) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString(("ListCertificates:" + seq).getBytes(StandardCharsets.UTF_8));
    }

    private static long afterKey(ObjectNode input) {
        if (!input.hasNonNull("NextToken")) {
            return -1;
        }
        String token = input.get("NextToken").asText();
        try {
            String text = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8);
            if (text.startsWith("ListCertificates:")) {
                long key = Long.parseLong(text.substring("ListCertificates:".length()));
                if (key >= 0) {
                    return key;
                }
            }
        } catch (IllegalArgumentException e) {
            // not base64, or not a number: reported below
        }
        throw new dev.trellis.controlplane.protocol.ApiException("InvalidArgsException", AcmErrors.CLIENT_ERROR,
                "NextToken is not a token ListCertificates issued");
    }

    // DeleteCertificate

    private ObjectNode delete(AcmContext ctx, ObjectNode input) {
        String arn = input.get("CertificateArn").asText();
        authorizeOn(ctx, "DeleteCertificate", arn);
        ctx.store().write(tx -> {
            StoredResource certificate = CertificateRecords.require(tx, ctx.config(), ctx.accountId(), arn);
            List<CertificateUsers.User> users = ctx.users().byCertificate(tx, ctx.accountId())
                    .getOrDefault(arn, List.of());
            if (!users.isEmpty()) {
                throw AcmErrors.inUse(arn, users.stream().map(CertificateUsers.User::arn).toList());
            }
            tx.delete(CertificateRecords.STORE_KIND, certificate.id());
            return null;
        });
        return JsonNodeFactory.instance.objectNode();
    }

    // Input helpers

    private static String text(JsonNode input, String field) {
        JsonNode value = input.get(field);
        return value == null || value.isNull() ? null : value.asText();
    }

    /** A blob member, already checked to be base64 by the binding's validation. */
    private static byte[] bytes(JsonNode input, String field) {
        return Base64.getDecoder().decode(input.get(field).asText());
    }

    private static Set<String> strings(JsonNode list) {
        Set<String> out = new HashSet<>();
        if (list != null) {
            list.forEach(v -> out.add(v.asText()));
        }
        return out;
    }
}
