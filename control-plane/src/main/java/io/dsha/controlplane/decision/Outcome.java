package io.dsha.controlplane.decision;

import io.dsha.api.event.Event;
import java.util.List;

/** A new state and what happened on the way there (events not yet numbered). */
public record Outcome(ControlState state, List<Event> events) {
    public Outcome {
        events = List.copyOf(events);
    }
}
