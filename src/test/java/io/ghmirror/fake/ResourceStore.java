package io.ghmirror.fake;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Resources keyed by API path, or by path and raw query when registered with a query.
 *
 * <p>Replacing a resource with different content moves its {@code Last-Modified} forward by at least one second, so
 * that a client's {@code If-Modified-Since}, which has second precision, detects the change. Because of that, a
 * resource updated several times within one second carries a {@code Last-Modified} slightly in the future.
 */
final class ResourceStore {

    private final ConcurrentHashMap<String, Resource> resources = new ConcurrentHashMap<>();

    /** Stores the resource and returns it with the {@code Last-Modified} time that the store assigned. */
    Resource put(String key, Resource resource) {
        return resources.compute(key, (ignored, old) -> {
            if (old != null && old.sameContentAs(resource)) {
                return old;
            }
            return resource.withLastModified(nextChangeTime(old == null ? null : old.lastModified()));
        });
    }

    /** Finds the resource registered for the path with this exact query, or else for the path alone. */
    Resource find(String apiPath, String rawQuery) {
        if (rawQuery != null) {
            Resource withQuery = resources.get(apiPath + "?" + rawQuery);
            if (withQuery != null) {
                return withQuery;
            }
        }
        return resources.get(apiPath);
    }

    /** Sets the {@code Last-Modified} time of a stored resource and returns false when none is stored at the key. */
    boolean setLastModified(String key, Instant time) {
        Instant seconds = time.truncatedTo(ChronoUnit.SECONDS);
        return resources.computeIfPresent(key, (ignored, old) -> old.withLastModified(seconds)) != null;
    }

    boolean remove(String key) {
        return resources.remove(key) != null;
    }

    /** Returns the current time truncated to seconds, or one second after {@code previous} if that is later. */
    static Instant nextChangeTime(Instant previous) {
        Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
        if (previous != null && !now.isAfter(previous)) {
            return previous.plusSeconds(1);
        }
        return now;
    }
}
