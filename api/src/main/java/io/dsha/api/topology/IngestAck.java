package io.dsha.api.topology;

/**
 * When the proxy acknowledges a record to its source. Both wait for the record to be in the proxy's fsync'd journal;
 * {@code ONE} then waits for the first instance to accept it (2xx), {@code ALL} for every ENABLED instance: slower, and
 * the only policy under which losing the proxy's disk loses nothing acknowledged.
 */
public enum IngestAck {
    ONE, ALL
}
