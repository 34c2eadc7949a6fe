package io.dsha.api.topology;

import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/**
 * The proxy's journal of accepted records not yet delivered to every instance, in {@code dsha.state-dir}.
 * {@code maxBytes}: the most it holds (records' bodies and headers); past it, sources get 507 and nothing is stored.
 * The proxy also keeps these records in memory: its heap must hold {@code maxBytes}. Default 256 MiB.
 */
public record IngestJournal(
        @NotNull @Min(value = 65_536, message = "must be between 65536 and 17179869184")
        @Max(value = 17_179_869_184L, message = "must be between 65536 and 17179869184") Long maxBytes) {

    public static final IngestJournal DEFAULT = new IngestJournal(null);

    public IngestJournal {
        maxBytes = maxBytes == null ? 256L << 20 : maxBytes;
    }
}
