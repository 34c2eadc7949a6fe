package io.dsha.api.report;

import java.util.List;

/** Answer to a report: how many observations were taken, which backend ids are unknown, the revision after. */
public record ReportReceipt(int accepted, List<String> unknownBackends, long revision) {
}
