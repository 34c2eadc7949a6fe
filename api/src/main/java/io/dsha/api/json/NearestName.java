package io.dsha.api.json;

import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;

/**
 * The known field an unknown one was probably meant to be: the same but for case
 * ({@code Priority}), a few edits away ({@code heathCheck}, {@code timoutMs}, {@code prot}), or one
 * the start of the other ({@code interval} for {@code intervalMs}). An edit is a letter added,
 * removed, changed, or two neighbours swapped; at most two, and fewer than half of the shorter
 * name's letters, so that {@code last} does not become {@code at}, nor {@code x} {@code id}.
 */
final class NearestName {

    private static final int MAX_EDITS = 2;
    private static final int MIN_PREFIX = 3;

    private NearestName() {
    }

    static Optional<String> of(String unknown, Collection<String> known) {
        String u = unknown.toLowerCase(Locale.ROOT);
        // Sorted first so that a tie always picks the same name.
        return known.stream()
                .sorted()
                .map(k -> new Candidate(k, rank(u, k.toLowerCase(Locale.ROOT))))
                .filter(c -> c.rank >= 0)
                .min(Comparator.comparingInt(Candidate::rank))
                .map(Candidate::name);
    }

    private record Candidate(String name, int rank) {
    }

    /** 0 for the same name in another case, then the number of edits, then a prefix; -1 for no match. */
    private static int rank(String u, String k) {
        if (u.equals(k)) {
            return 0;
        }
        String shorter = u.length() < k.length() ? u : k;
        String longer = shorter == u ? k : u;
        int edits = distance(u, k);
        if (edits <= Math.min(MAX_EDITS, (shorter.length() - 1) / 2)) {
            return edits;
        }
        return shorter.length() >= MIN_PREFIX && longer.startsWith(shorter) ? MAX_EDITS + 1 : -1;
    }

    /** Damerau-Levenshtein distance (optimal string alignment): a swap of two neighbours is one edit. */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }
}
