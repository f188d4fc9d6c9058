package io.ghmirror.mirror;

import io.ghmirror.cache.Entry;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.regex.Pattern;

/**
 * Recognizes a stored list page that may hide a newer page. When a list grows by one item past a
 * full last page, GitHub still returns 304 for the old last page (its body is unchanged), and the
 * stored {@code Link} header has no {@code rel="next"}. Such a page must be fetched unconditionally
 * unless the 304 itself shows a next link.
 */
final class ListPages {

    /** GitHub's page size when the request has no {@code per_page}. */
    static final int DEFAULT_PAGE_SIZE = 30;

    /**
     * The largest page GitHub serves. A larger {@code per_page} gets pages of 100 items ("up to a
     * maximum of 100", GitHub REST API docs, "Traversing with pagination").
     */
    static final int MAX_PAGE_SIZE = 100;

    private static final Pattern NEXT_RELATION = Pattern.compile("rel=\"?([^\"]*\\s)?next(\\s[^\"]*)?\"?");

    private ListPages() {}

    /** Returns whether the entry is a JSON array page, full for its page size, with no next link. */
    static boolean mayHideNextPage(Entry entry, String rawQuery) {
        if (entry.header("Link").map(ListPages::hasNext).orElse(false)) {
            return false;
        }
        if (!UrlRewriter.isJson(entry.header("Content-Type").orElse(null))) {
            return false;
        }
        int items = JsonArrays.countTopLevelItems(entry.body());
        return items >= 0 && items == pageSize(rawQuery);
    }

    /** Returns whether a Link header value has a {@code next} relation. */
    static boolean hasNext(String link) {
        for (String part : link.split(",")) {
            if (NEXT_RELATION.matcher(part).find()) {
                return true;
            }
        }
        return false;
    }

    /** Returns the page size GitHub serves for the request, which is its {@code per_page} capped at 100, or 30. */
    static int pageSize(String rawQuery) {
        if (rawQuery == null) {
            return DEFAULT_PAGE_SIZE;
        }
        for (String pair : rawQuery.split("&")) {
            int equals = pair.indexOf('=');
            String name = URLDecoder.decode(equals < 0 ? pair : pair.substring(0, equals), StandardCharsets.UTF_8);
            if (name.equals("per_page") && equals >= 0) {
                try {
                    int size = Integer.parseInt(URLDecoder.decode(pair.substring(equals + 1), StandardCharsets.UTF_8).trim());
                    return size > 0 ? Math.min(size, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
                } catch (IllegalArgumentException e) {
                    return DEFAULT_PAGE_SIZE;
                }
            }
        }
        return DEFAULT_PAGE_SIZE;
    }
}
