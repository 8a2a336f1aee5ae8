package dev.trellis.controlplane.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class StoreContractTest {

    private static ObjectNode doc(String name) {
        return JsonNodeFactory.instance.objectNode().put("name", name);
    }

    private static StoredResource service(String id, String name) {
        return StoredResource.create("service", id, "arn:aws:vpc-lattice:us-west-2:111122223333:service/" + id,
                "111122223333", null, name, doc(name));
    }

    @ParameterizedTest
    @EnumSource(TestStores.Kind.class)
    void everyWriteThatChangesSomethingBumpsTheRevisionOnce(TestStores.Kind kind) {
        try (Store store = kind.open()) {
            long before = store.revision();

            StoredResource stored = store.write(tx -> {
                tx.insert(service("svc-00000000000000001", "one"));
                return tx.insert(service("svc-00000000000000002", "two"));
            });
            store.write(tx -> tx.get("service", "nope"));

            assertThat(store.revision()).isEqualTo(before + 1);
            assertThat(stored.createdRevision()).isEqualTo(before + 1);
            Optional<StoredResource> two = store.read(tx -> tx.get("service", "svc-00000000000000002"));
            assertThat(two.orElseThrow().document().get("name").asText()).isEqualTo("two");
        }
    }

    @ParameterizedTest
    @EnumSource(TestStores.Kind.class)
    void aReadThatThrowsPassesItsOwnExceptionOnAndLeavesTheStoreUsable(TestStores.Kind kind) {
        try (Store store = kind.open()) {
            store.write(tx -> tx.insert(service("svc-00000000000000001", "one")));

            assertThatThrownBy(() -> store.read(tx -> {
                tx.get("service", "svc-00000000000000001");
                throw new IllegalArgumentException("not found, say");
            })).isInstanceOf(IllegalArgumentException.class).hasMessage("not found, say");

            Optional<StoredResource> still = store.read(tx -> tx.get("service", "svc-00000000000000001"));
            assertThat(still).isPresent();
        }
    }

    @ParameterizedTest
    @EnumSource(TestStores.Kind.class)
    void aFailedWriteLeavesNothingBehind(TestStores.Kind kind) {
        try (Store store = kind.open()) {
            long before = store.revision();

            assertThatThrownBy(() -> store.write(tx -> {
                tx.insert(service("svc-00000000000000001", "one"));
                throw new IllegalArgumentException("handler refused");
            })).hasMessage("handler refused");

            assertThat(store.revision()).isEqualTo(before);
            Optional<StoredResource> left = store.read(tx -> tx.get("service", "svc-00000000000000001"));
            assertThat(left).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestStores.Kind.class)
    void listsInCreationOrderPageByPageAndFindsByNameAndArn(TestStores.Kind kind) {
        try (Store store = kind.open()) {
            for (int i = 0; i < 5; i++) {
                int n = i;
                store.write(tx -> tx.insert(service(String.format("svc-%017d", 5 - n), "svc" + n)));
            }

            List<StoredResource> first = store.read(tx -> tx.list("service", null, 0, 2));
            List<StoredResource> rest = store.read(tx -> tx.list("service", null, first.get(1).seq(), 10));

            assertThat(first).extracting(StoredResource::name).containsExactly("svc0", "svc1");
            assertThat(rest).extracting(StoredResource::name).containsExactly("svc2", "svc3", "svc4");
            Optional<StoredResource> byName = store.read(tx -> tx.getByName("service", "111122223333", null, "svc3"));
            Optional<StoredResource> byArn = store.read(tx -> tx.getByArn(
                    "arn:aws:vpc-lattice:us-west-2:111122223333:service/svc-00000000000000005"));
            long count = store.read(tx -> tx.count("service", null));
            assertThat(byName.orElseThrow().id()).isEqualTo("svc-00000000000000002");
            assertThat(byArn).isPresent();
            assertThat(count).isEqualTo(5);
        }
    }

    @ParameterizedTest
    @EnumSource(TestStores.Kind.class)
    void updatesAndDeletesAreVisibleAndCounted(TestStores.Kind kind) {
        try (Store store = kind.open()) {
            StoredResource created = store.write(tx -> tx.insert(service("svc-00000000000000001", "one")));
            StoredResource updated = store.write(tx -> tx.update(created.withDocument(doc("renamed"))));
            store.write(tx -> {
                tx.delete("service", "svc-00000000000000001");
                return null;
            });

            assertThat(updated.updatedRevision()).isEqualTo(created.createdRevision() + 1);
            Optional<StoredResource> gone = store.read(tx -> tx.get("service", "svc-00000000000000001"));
            assertThat(gone).isEmpty();
            assertThat(store.revision()).isEqualTo(created.createdRevision() + 2);
        }
    }

    @ParameterizedTest
    @EnumSource(TestStores.Kind.class)
    void concurrentWritersGetContiguousRevisions(TestStores.Kind kind) throws Exception {
        try (Store store = kind.open()) {
            long before = store.revision();
            ExecutorService pool = Executors.newFixedThreadPool(8);
            List<CompletableFuture<Long>> writes = new ArrayList<>();
            for (int i = 0; i < 64; i++) {
                String id = String.format("svc-%017d", i);
                writes.add(CompletableFuture.supplyAsync(
                        () -> store.write(tx -> tx.insert(service(id, "s" + id.substring(12)))).createdRevision(),
                        pool));
            }
            List<Long> revisions = new ArrayList<>();
            for (CompletableFuture<Long> w : writes) {
                revisions.add(w.get(30, TimeUnit.SECONDS));
            }
            pool.shutdown();

            assertThat(revisions).doesNotHaveDuplicates().allMatch(r -> r > before && r <= before + 64);
            assertThat(store.revision()).isEqualTo(before + 64);
        }
    }

    @ParameterizedTest
    @EnumSource(TestStores.Kind.class)
    void clientTokensRememberTheirFirstResponse(TestStores.Kind kind) {
        try (Store store = kind.open()) {
            store.write(tx -> {
                tx.recordIdempotentResponse("111122223333", "CreateService", "token-1",
                        new StoreTransaction.IdempotentResponse("abc", "{\"id\":\"svc-1\"}"));
                return null;
            });

            Optional<StoreTransaction.IdempotentResponse> same =
                    store.read(tx -> tx.idempotentResponse("111122223333", "CreateService", "token-1"));
            Optional<StoreTransaction.IdempotentResponse> other =
                    store.read(tx -> tx.idempotentResponse("111122223333", "CreateListener", "token-1"));
            assertThat(same).contains(new StoreTransaction.IdempotentResponse("abc", "{\"id\":\"svc-1\"}"));
            assertThat(other).isEmpty();
        }
    }

    @ParameterizedTest
    @EnumSource(TestStores.Kind.class)
    void waitersWakeWhenARevisionIsCommitted(TestStores.Kind kind) throws Exception {
        try (Store store = kind.open()) {
            long before = store.revision();
            CompletableFuture<Long> waiter = CompletableFuture.supplyAsync(() -> {
                try {
                    return store.awaitRevisionAfter(before, Duration.ofSeconds(10));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(100);
            store.write(tx -> tx.insert(service("svc-00000000000000001", "one")));

            assertThat(waiter.get(5, TimeUnit.SECONDS)).isEqualTo(before + 1);
            assertThat(store.awaitRevisionAfter(before + 1, Duration.ofMillis(50))).isEqualTo(before + 1);
        }
    }

    @Test
    void anH2StoreReopensWithEverythingItAcknowledged() throws Exception {
        Path dir = Files.createTempDirectory("trellis-h2-reopen");
        try (Store store = TestStores.h2(dir)) {
            store.write(tx -> tx.insert(service("svc-00000000000000001", "one")));
        }
        try (Store store = TestStores.h2(dir)) {
            assertThat(store.revision()).isEqualTo(1);
            Optional<StoredResource> kept = store.read(tx -> tx.get("service", "svc-00000000000000001"));
            assertThat(kept).isPresent();
        }
    }
}
