package dev.trellis.controller.policy;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The object a policy attaches to (Gateway API's {@code LocalPolicyTargetReference} / GEP-713 as the AWS controller's
 * CRDs use it): group, kind and name, plus an optional namespace which, when set, must be the policy's own.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class TargetRef {

    private String group;
    private String kind;
    private String name;
    private String namespace;

    public TargetRef() {
    }

    public TargetRef(String group, String kind, String name) {
        this.group = group;
        this.kind = kind;
        this.name = name;
    }

    public String getGroup() {
        return group;
    }

    public void setGroup(String group) {
        this.group = group;
    }

    public String getKind() {
        return kind;
    }

    public void setKind(String kind) {
        this.kind = kind;
    }

    public String getName() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String getNamespace() {
        return namespace;
    }

    public void setNamespace(String namespace) {
        this.namespace = namespace;
    }

    @Override
    public String toString() {
        return (group == null || group.isEmpty() ? "" : group + "/") + kind + " " + name;
    }
}
