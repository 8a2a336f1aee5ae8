package dev.trellis.auth.policy;

import dev.trellis.auth.Principal;
import java.util.Map;

/** The callers the evaluation table names (see the header of evaluation-cases.txt). */
final class TestPrincipals {

    static final Principal ALICE = Principal.user("aws", "111122223333", "/", "alice", "AIDAALICE",
            Map.of("team", "blue", "Project", "Lattice"));
    static final Principal BOB = Principal.user("aws", "444455556666", "/", "bob", "AIDABOB", Map.of());
    static final Principal ROLE = Principal.assumedRole("aws", "111122223333", "/", "app-role", "AROAAPPROLE",
            "session-1", Map.of("team", "red"));
    static final Principal ROLE2 = Principal.assumedRole("aws", "111122223333", "/", "app-role", "AROAAPPROLE",
            "session-2", Map.of());
    static final Principal ROOT = Principal.accountRoot("aws", "111122223333");

    private static final Map<String, Principal> BY_NAME = Map.of(
            "alice", ALICE, "bob", BOB, "role", ROLE, "role2", ROLE2, "root", ROOT,
            "anonymous", Principal.anonymous());

    private TestPrincipals() {
    }

    static Principal named(String name) {
        Principal p = BY_NAME.get(name);
        if (p == null) {
            throw new IllegalArgumentException("no test principal named " + name);
        }
        return p;
    }
}
