package dev.cordon.internal.policy;

import dev.cordon.PolicyException;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Sizes ({@code 256M}) and durations ({@code 1.5s}) as users write them, with errors that say how to write them. */
public final class Units {
    private Units() {}

    private static final Pattern SIZE = Pattern.compile("(\\d+)([KMGT]?)(i?B)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|s|m|h)?");

    /** Bytes from {@code 123}, {@code 64K}, {@code 256M}, {@code 2G}, {@code 1T} (binary multiples). */
    public static long size(String what, String text) {
        Matcher m = SIZE.matcher(text.trim());
        if (!m.matches()) {
            throw new PolicyException(what + ": \"" + text + "\" is not a size; write e.g. 4096, 64K, 256M or 2G");
        }
        int shift = switch (m.group(2).toUpperCase(Locale.ROOT)) {
            case "K" -> 10;
            case "M" -> 20;
            case "G" -> 30;
            case "T" -> 40;
            default -> 0;
        };
        try {
            long n = Long.parseLong(m.group(1));
            if (n > (Long.MAX_VALUE >> shift)) throw new NumberFormatException();
            return n << shift;
        } catch (NumberFormatException e) {
            throw new PolicyException(what + ": \"" + text + "\" is too large");
        }
    }

    /** A duration from {@code 500ms}, {@code 2s}, {@code 1.5s}, {@code 3m}, {@code 1h}; a bare number is seconds. */
    public static Duration duration(String what, String text) {
        Matcher m = DURATION.matcher(text.trim());
        if (!m.matches()) {
            throw new PolicyException(what + ": \"" + text + "\" is not a duration; write e.g. 500ms, 2s, 1.5s or 3m");
        }
        double value = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "s" : m.group(2);
        double millis = switch (unit) {
            case "ms" -> value;
            case "m" -> value * 60_000;
            case "h" -> value * 3_600_000;
            default -> value * 1000;
        };
        if (millis <= 0) throw new PolicyException(what + ": \"" + text + "\" must be more than zero");
        if (millis > 365.0 * 24 * 3_600_000) throw new PolicyException(what + ": \"" + text + "\" is too long");
        return Duration.ofNanos(Math.round(millis * 1_000_000));
    }

    /** A positive integer count. */
    public static long count(String what, String text) {
        try {
            long n = Long.parseLong(text.trim());
            if (n > 0) return n;
        } catch (NumberFormatException ignored) {
            // Reported below with the value.
        }
        throw new PolicyException(what + ": \"" + text + "\" is not a positive whole number");
    }
}
