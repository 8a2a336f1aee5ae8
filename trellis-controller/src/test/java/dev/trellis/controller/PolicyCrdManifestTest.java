package dev.trellis.controller;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.introspect.BeanPropertyDefinition;
import dev.trellis.controller.policy.AccessLogPolicy;
import dev.trellis.controller.policy.IAMAuthPolicy;
import dev.trellis.controller.policy.ServiceExport;
import dev.trellis.controller.policy.ServiceImport;
import dev.trellis.controller.policy.TargetGroupPolicy;
import dev.trellis.controller.policy.VpcAssociationPolicy;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition;
import io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinitionVersion;
import io.fabric8.kubernetes.api.model.apiextensions.v1.JSONSchemaProps;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The CRD manifests in deploy/kubernetes/crds/ against the classes the controller reads them with: the file name,
 * group, version, kind, plural and scope are the class's, and the structural schema of spec and status has exactly the
 * classes' fields with matching types, so an object the API server accepts is one the controller can read and the
 * status it writes is not pruned.
 */
class PolicyCrdManifestTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @ParameterizedTest
    @ValueSource(classes = {IAMAuthPolicy.class, TargetGroupPolicy.class, VpcAssociationPolicy.class,
            AccessLogPolicy.class, ServiceExport.class, ServiceImport.class})
    void theManifestMatchesTheClass(Class<? extends HasMetadata> type) throws Exception {
        String plural = HasMetadata.getPlural(type);
        Path file = PolicyTestSupport.crds().resolve(plural + "." + HasMetadata.getGroup(type) + ".yaml");
        CustomResourceDefinition crd;
        try (InputStream in = Files.newInputStream(file)) {
            crd = Serialization.unmarshal(in, CustomResourceDefinition.class);
        }
        assertThat(crd.getMetadata().getName()).isEqualTo(plural + "." + HasMetadata.getGroup(type));
        assertThat(crd.getSpec().getGroup()).isEqualTo(HasMetadata.getGroup(type));
        assertThat(crd.getSpec().getNames().getKind()).isEqualTo(HasMetadata.getKind(type));
        assertThat(crd.getSpec().getNames().getPlural()).isEqualTo(plural);
        assertThat(crd.getSpec().getScope()).isEqualTo("Namespaced");
        CustomResourceDefinitionVersion version = crd.getSpec().getVersions().get(0);
        assertThat(crd.getSpec().getVersions()).hasSize(1);
        assertThat(version.getName()).isEqualTo(HasMetadata.getVersion(type));
        assertThat(version.getServed()).isTrue();
        assertThat(version.getStorage()).isTrue();
        assertThat(version.getSubresources().getStatus()).as("status subresource").isNotNull();
        Map<String, JSONSchemaProps> top = version.getSchema().getOpenAPIV3Schema().getProperties();
        JavaType resource = JSON.constructType(type);
        compare(type.getSimpleName() + ".spec", top.get("spec"), property(resource, "spec"));
        compare(type.getSimpleName() + ".status", top.get("status"), property(resource, "status"));
    }

    private static JavaType property(JavaType owner, String name) {
        return JSON.getSerializationConfig().introspect(owner).findProperties().stream()
                .filter(p -> p.getName().equals(name)).findFirst().orElseThrow().getPrimaryType();
    }

    /** The schema node has exactly the Java type's JSON properties, recursively, with matching types. */
    private static void compare(String path, JSONSchemaProps schema, JavaType type) {
        assertThat(schema).as(path + " in the schema").isNotNull();
        if (type.isCollectionLikeType()) {
            assertThat(schema.getType()).as(path).isEqualTo("array");
            compare(path + "[]", schema.getItems().getSchema(), type.getContentType());
            return;
        }
        Class<?> raw = type.getRawClass();
        if (raw == String.class) {
            assertThat(schema.getType()).as(path).isEqualTo("string");
        } else if (raw == Integer.class || raw == Long.class) {
            assertThat(schema.getType()).as(path).isEqualTo("integer");
        } else if (raw == Boolean.class) {
            assertThat(schema.getType()).as(path).isEqualTo("boolean");
        } else if (raw == Condition.class) {
            assertThat(schema.getType()).as(path).isEqualTo("object");
            assertThat(schema.getProperties()).as(path).containsKeys("type", "status", "reason", "message",
                    "lastTransitionTime", "observedGeneration");
        } else {
            assertThat(schema.getType()).as(path).isEqualTo("object");
            List<BeanPropertyDefinition> fields = JSON.getSerializationConfig().introspect(type).findProperties();
            Map<String, JavaType> expected = new TreeMap<>();
            fields.forEach(f -> expected.put(f.getName(), f.getPrimaryType()));
            assertThat(schema.getProperties()).as(path + " properties").isNotNull();
            assertThat(new TreeMap<>(schema.getProperties()).keySet()).as(path + " properties")
                    .containsExactlyElementsOf(expected.keySet());
            expected.forEach((name, fieldType) -> compare(path + "." + name, schema.getProperties().get(name), fieldType));
        }
    }
}
