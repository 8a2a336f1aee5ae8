package dev.trellis.controller.policy;

import com.fasterxml.jackson.annotation.JsonInclude;
import io.fabric8.kubernetes.api.model.Condition;
import java.util.ArrayList;
import java.util.List;

/** The status every policy CRD shares (GEP-713): conditions, {@code Accepted} first of all. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class PolicyStatus {

    private List<Condition> conditions = new ArrayList<>();

    public List<Condition> getConditions() {
        return conditions;
    }

    public void setConditions(List<Condition> conditions) {
        this.conditions = conditions;
    }
}
