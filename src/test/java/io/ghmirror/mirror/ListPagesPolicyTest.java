package io.ghmirror.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.cache.Entry;
import io.ghmirror.cache.Header;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ListPagesPolicyTest {

    private static final String JSON = "application/json; charset=utf-8";

    @Test
    void fullDefaultPageMayHideNext() {
        assertThat(ListPages.mayHideNextPage(page(30, JSON, null), null)).isTrue();
    }

    @Test
    void fullExplicitPageMayHideNext() {
        assertThat(ListPages.mayHideNextPage(page(10, JSON, null), "state=open&per_page=10")).isTrue();
    }

    @Test
    void partialPageHidesNothing() {
        assertThat(ListPages.mayHideNextPage(page(29, JSON, null), null)).isFalse();
    }

    @Test
    void pageBelowPerPageHidesNothing() {
        assertThat(ListPages.mayHideNextPage(page(30, JSON, null), "per_page=50")).isFalse();
    }

    @Test
    void nextLinkRulesOutHiddenPage() {
        String link = "<https://api.github.com/repos/o/r/issues?page=2>; rel=\"next\", "
                + "<https://api.github.com/repos/o/r/issues?page=5>; rel=\"last\"";

        assertThat(ListPages.mayHideNextPage(page(30, JSON, link), null)).isFalse();
    }

    @Test
    void prevLinkOnlyStillMayHideNext() {
        String link = "<https://api.github.com/repos/o/r/issues?page=1>; rel=\"prev\", "
                + "<https://api.github.com/repos/o/r/issues?page=1>; rel=\"first\"";

        assertThat(ListPages.mayHideNextPage(page(30, JSON, link), "page=2")).isTrue();
    }

    @Test
    void objectBodyHidesNothing() {
        Entry object = entry("{\"id\":1,\"items\":[" + "1,".repeat(29) + "1]}", JSON, null);

        assertThat(ListPages.mayHideNextPage(object, null)).isFalse();
    }

    @Test
    void nonJsonBodyHidesNothing() {
        assertThat(ListPages.mayHideNextPage(page(30, "text/plain", null), null)).isFalse();
    }

    @Test
    void vendorJsonTypeCounts() {
        assertThat(ListPages.mayHideNextPage(page(30, "application/vnd.github+json", null), null)).isTrue();
    }

    @Test
    void perPageAboveMaximumMeansHundred() {
        // GitHub caps per_page at 100, so a request for 200 gets full pages of 100 items.
        assertThat(ListPages.mayHideNextPage(page(100, JSON, null), "per_page=200")).isTrue();
    }

    @Test
    void pageSizeReadsPerPage() {
        assertThat(ListPages.pageSize("page=3&per_page=45")).isEqualTo(45);
    }

    @Test
    void pageSizeDecodesParameterName() {
        assertThat(ListPages.pageSize("per%5Fpage=12")).isEqualTo(12);
    }

    @Test
    void pageSizeDefaultsWithoutPerPage() {
        assertThat(ListPages.pageSize(null)).isEqualTo(30);
        assertThat(ListPages.pageSize("page=2")).isEqualTo(30);
    }

    @Test
    void pageSizeDefaultsForInvalidValue() {
        assertThat(ListPages.pageSize("per_page=many")).isEqualTo(30);
        assertThat(ListPages.pageSize("per_page=-5")).isEqualTo(30);
        assertThat(ListPages.pageSize("per_page")).isEqualTo(30);
    }

    @Test
    void pageSizeCapsAtHundred() {
        assertThat(ListPages.pageSize("per_page=100")).isEqualTo(100);
        assertThat(ListPages.pageSize("per_page=250")).isEqualTo(100);
    }

    @Test
    void hasNextAcceptsRelationForms() {
        assertThat(ListPages.hasNext("<https://x/a?page=2>; rel=\"next\"")).isTrue();
        assertThat(ListPages.hasNext("<https://x/a?page=2>; rel=next")).isTrue();
        assertThat(ListPages.hasNext("<https://x/a?page=2>; rel=\"prev next\"")).isTrue();
    }

    @Test
    void hasNextRejectsOtherRelations() {
        assertThat(ListPages.hasNext("<https://x/a?page=1>; rel=\"prev\", <https://x/a?page=9>; rel=\"last\""))
                .isFalse();
    }

    private static Entry page(int items, String contentType, String link) {
        List<String> elements = new ArrayList<>();
        for (int i = 1; i <= items; i++) {
            elements.add("{\"number\":" + i + ",\"title\":\"Issue, " + i + "\"}");
        }
        return entry("[" + String.join(",", elements) + "]", contentType, link);
    }

    private static Entry entry(String body, String contentType, String link) {
        List<Header> headers = new ArrayList<>();
        headers.add(new Header("Content-Type", contentType));
        headers.add(new Header("ETag", "\"page\""));
        if (link != null) {
            headers.add(new Header("Link", link));
        }
        return new Entry("/repos/o/r/issues", 200, headers, body.getBytes(StandardCharsets.UTF_8), "\"page\"",
                null, 0);
    }
}
