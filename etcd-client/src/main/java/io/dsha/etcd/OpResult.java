package io.dsha.etcd;

/** What one operation returned, alone or inside a transaction: its kind follows the {@link Op}'s. */
public sealed interface OpResult permits RangeResult, PutResult, DeleteResult {

    /** The store's revision the operation saw or made. */
    long revision();
}
