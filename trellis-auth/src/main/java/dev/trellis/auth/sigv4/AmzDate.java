package dev.trellis.auth.sigv4;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** The ISO 8601 basic timestamps of SigV4 ({@code yyyyMMdd'T'HHmmss'Z'}). */
final class AmzDate {

    static final DateTimeFormatter FORMAT = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
            .withZone(ZoneOffset.UTC);

    private AmzDate() {
    }

    /** Epoch seconds of a {@code yyyyMMdd'T'HHmmss'Z'} timestamp, or {@code Long.MIN_VALUE} if malformed. */
    static long parseEpochSeconds(String s) {
        if (s == null || s.length() != 16 || s.charAt(8) != 'T' || s.charAt(15) != 'Z') {
            return Long.MIN_VALUE;
        }
        for (int i = 0; i < 15; i++) {
            if (i != 8 && (s.charAt(i) < '0' || s.charAt(i) > '9')) {
                return Long.MIN_VALUE;
            }
        }
        try {
            return LocalDateTime.of(digits(s, 0, 4), digits(s, 4, 6), digits(s, 6, 8),
                    digits(s, 9, 11), digits(s, 11, 13), digits(s, 13, 15)).toEpochSecond(ZoneOffset.UTC);
        } catch (DateTimeException e) {
            return Long.MIN_VALUE;
        }
    }

    /** An RFC 1123 {@code Date} header as a SigV4 timestamp, or {@code null}. */
    static String fromHttpDate(String httpDate) {
        try {
            return FORMAT.format(ZonedDateTime.parse(httpDate.trim(), DateTimeFormatter.RFC_1123_DATE_TIME));
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    static String format(Instant instant) {
        return FORMAT.format(instant);
    }

    static String formatEpochSeconds(long epochSeconds) {
        return FORMAT.format(Instant.ofEpochSecond(epochSeconds));
    }

    private static int digits(String s, int from, int to) {
        int v = 0;
        for (int i = from; i < to; i++) {
            v = v * 10 + (s.charAt(i) - '0');
        }
        return v;
    }
}
