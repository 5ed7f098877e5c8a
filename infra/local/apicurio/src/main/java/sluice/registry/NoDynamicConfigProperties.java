package sluice.registry;

import io.apicurio.common.apps.config.DynamicConfigPropertyList;
import java.util.List;
import javax.enterprise.context.ApplicationScoped;
import javax.enterprise.inject.Produces;

/**
 * The list of dynamic configuration properties is generated at build time by Apicurio's
 * config-index Quarkus extension, whose deployment module is not on Maven Central: this local
 * build runs without dynamic properties (none are needed for an in-memory test registry).
 */
@ApplicationScoped
public class NoDynamicConfigProperties {
    @Produces
    @ApplicationScoped
    DynamicConfigPropertyList dynamicConfigProperties() {
        return new DynamicConfigPropertyList(List.of());
    }
}
