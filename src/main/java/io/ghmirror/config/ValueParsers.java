package io.ghmirror.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses setting values, failing with a message that names the setting and what it accepts. */
final class ValueParsers {

    private static final Pattern BYTE_SIZE =
            Pattern.compile("(\\d+)\\s*(b|k|kb|kib|m|mb|mib|g|gb|gib|t|tb|tib)?", Pattern.CASE_INSENSITIVE);
    private static final Pattern DURATION =
            Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)?", Pattern.CASE_INSENSITIVE);

    private ValueParsers() {}

    static SettingsException invalid(String setting, String value, String accepted) {
        return new SettingsException(
                "Invalid value for " + setting + ": '" + value + "'. Expected " + accepted + ".");
    }

    /**
     * Parses a byte count such as {@code 512MiB}, {@code 8m} or {@code 1048576}. Decimal and
     * binary suffixes both mean powers of 1024, as memory settings usually do.
     */
    static long byteSize(String setting, String value) {
        String accepted = "a byte count such as 1048576, 64KiB, 512MiB or 2GiB";
        Matcher matcher = BYTE_SIZE.matcher(value.trim());
        if (!matcher.matches()) {
            throw invalid(setting, value, accepted);
        }
        long multiplier = switch (matcher.group(2) == null ? "b" : matcher.group(2).toLowerCase(Locale.ROOT)) {
            case "k", "kb", "kib" -> 1L << 10;
            case "m", "mb", "mib" -> 1L << 20;
            case "g", "gb", "gib" -> 1L << 30;
            case "t", "tb", "tib" -> 1L << 40;
            default -> 1L;
        };
        try {
            return Math.multiplyExact(Long.parseLong(matcher.group(1)), multiplier);
        } catch (ArithmeticException | NumberFormatException e) {
            throw invalid(setting, value, accepted + " (at most 8 EiB)");
        }
    }

    /** Parses a duration such as {@code 500ms}, {@code 10s}, {@code 5m}, {@code 2h} or {@code 7d}. */
    static Duration duration(String setting, String value) {
        String accepted = "a duration such as 500ms, 10s, 5m, 2h or 7d";
        Matcher matcher = DURATION.matcher(value.trim());
        if (!matcher.matches()) {
            throw invalid(setting, value, accepted);
        }
        long amount;
        try {
            amount = Long.parseLong(matcher.group(1));
        } catch (NumberFormatException e) {
            throw invalid(setting, value, accepted);
        }
        String unit = matcher.group(2) == null ? "s" : matcher.group(2).toLowerCase(Locale.ROOT);
        try {
            return switch (unit) {
                case "ms" -> Duration.ofMillis(amount);
                case "m" -> Duration.ofMinutes(amount);
                case "h" -> Duration.ofHours(amount);
                case "d" -> Duration.ofDays(amount);
                default -> Duration.ofSeconds(amount);
            };
        } catch (ArithmeticException e) {
            throw invalid(setting, value, accepted);
        }
    }

    static int integer(String setting, String value, int min, int max) {
        try {
            int parsed = Integer.parseInt(value.trim());
            if (parsed >= min && parsed <= max) {
                return parsed;
            }
        } catch (NumberFormatException e) {
            // reported below with the accepted range
        }
        throw invalid(setting, value, "an integer from " + min + " to " + max);
    }

    static boolean bool(String setting, String value) {
        return switch (value.trim().toLowerCase(Locale.ROOT)) {
            case "true", "yes", "1", "on" -> true;
            case "false", "no", "0", "off", "" -> false;
            default -> throw invalid(setting, value, "true or false (yes/no, on/off and 1/0 also work)");
        };
    }

    /** Parses an absolute http or https URL without query or fragment; drops a trailing slash. */
    static URI httpUrl(String setting, String value) {
        String accepted = "an absolute http:// or https:// URL without query or fragment, such as https://api.github.com";
        URI uri;
        try {
            uri = new URI(value.trim());
        } catch (URISyntaxException e) {
            throw invalid(setting, value, accepted);
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https"))
                || uri.getHost() == null
                || uri.getRawQuery() != null
                || uri.getRawFragment() != null
                || uri.getRawUserInfo() != null) {
            throw invalid(setting, value, accepted);
        }
        String text = uri.toString();
        while (text.endsWith("/")) {
            text = text.substring(0, text.length() - 1);
        }
        return URI.create(text);
    }
}
