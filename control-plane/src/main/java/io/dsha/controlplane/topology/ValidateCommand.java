package io.dsha.controlplane.topology;

import io.dsha.api.topology.Topology;
import jakarta.validation.Validation;
import jakarta.validation.ValidatorFactory;
import java.io.PrintStream;
import java.nio.file.Path;
import org.hibernate.validator.HibernateValidator;
import org.hibernate.validator.messageinterpolation.ParameterMessageInterpolator;

/**
 * {@code validate FILE...}: checks topology files the way the control plane would, without
 * starting it (like {@code haproxy -c}). Exit status 0 when every file is valid, 1 when any is
 * not (every violation printed), 2 on a usage error.
 */
public final class ValidateCommand {

    private ValidateCommand() {
    }

    /** Hibernate Validator without Quarkus (and without EL for its messages); the caller closes it. */
    public static ValidatorFactory validatorFactory() {
        return Validation.byProvider(HibernateValidator.class).configure()
                .messageInterpolator(new ParameterMessageInterpolator())
                .buildValidatorFactory();
    }

    public static int run(String[] files, PrintStream out, PrintStream err) {
        if (files.length == 0) {
            err.println("usage: validate FILE...   (a topology in YAML or JSON)");
            return 2;
        }
        try (ValidatorFactory factory = validatorFactory()) {
            TopologyValidator validator = new TopologyValidator(factory.getValidator());
            int status = 0;
            for (String name : files) {
                Path path = Path.of(name);
                TopologyValidator.Checked<Topology> checked = TopologyFiles.check(path, validator);
                if (checked.ok()) {
                    Topology t = checked.value();
                    out.println(path + ": OK (" + t.mode() + ", " + t.tlsMode() + ", " + t.backends().size() + " backends, listener "
                            + t.listener().host() + ":" + t.listener().port() + ")");
                } else {
                    err.println(TopologyFiles.describe(path, checked.violations()));
                    status = 1;
                }
            }
            return status;
        }
    }
}
