package io.dsha.controlplane.api;

import io.dsha.controlplane.store.Published;
import jakarta.ws.rs.core.EntityTag;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

/** The revision headers every state-bearing response carries. */
final class Responses {

    static final String REVISION = "X-Dsha-Revision";
    static final String TOPOLOGY_REVISION = "X-Dsha-Topology-Revision";

    private Responses() {
    }

    /** {@code ETag} is the topology's revision: the value {@code If-Match} compares against. */
    static Response.ResponseBuilder revisioned(Response.ResponseBuilder builder, Published p) {
        return builder.tag(new EntityTag(String.valueOf(p.topologyRevision())))
                .header(REVISION, p.revision())
                .header(TOPOLOGY_REVISION, p.topologyRevision());
    }

    /** The snapshot of {@code p} as the body, serialized once for every answer that carries it. */
    static Response snapshot(int status, Published p, SnapshotBodies bodies) {
        return revisioned(Response.status(status).entity(bodies.json(p)).type(MediaType.APPLICATION_JSON_TYPE), p).build();
    }
}
