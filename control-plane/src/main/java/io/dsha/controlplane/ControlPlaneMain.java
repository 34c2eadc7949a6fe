package io.dsha.controlplane;

import io.dsha.controlplane.topology.ValidateCommand;
import io.quarkus.runtime.Quarkus;
import io.quarkus.runtime.annotations.QuarkusMain;
import java.util.Arrays;

/**
 * Entry point. {@code validate FILE...} checks topology files and exits without starting the
 * service; {@code migrate ...} copies a state directory into etcd ({@link io.dsha.controlplane.store.MigrateCommand});
 * anything else starts the control plane.
 */
@QuarkusMain
public final class ControlPlaneMain {

    ControlPlaneMain() {
    }

    public static void main(String... args) {
        if (args.length > 0 && args[0].equals("validate")) {
            System.exit(ValidateCommand.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        if (args.length > 0 && args[0].equals("migrate")) {
            System.exit(io.dsha.controlplane.store.MigrateCommand.run(Arrays.copyOfRange(args, 1, args.length), System.out, System.err));
        }
        Quarkus.run(args);
    }
}
