package io.ghmirror.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.cache.Entry;
import io.ghmirror.cache.Header;
import io.ghmirror.http.HeaderFields;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class EntryUpdaterPolicyTest {

    private static final byte[] BODY = "[{\"id\":1}]".getBytes(StandardCharsets.UTF_8);
    private static final Entry STORED = new Entry("/repos/o/r/issues", 200, List.of(
            new Header("Content-Type", "application/json; charset=utf-8"),
            new Header("ETag", "\"v1\""),
            new Header("Last-Modified", "Tue, 07 Jan 2025 10:00:00 GMT"),
            new Header("Date", "Tue, 07 Jan 2025 10:00:00 GMT"),
            new Header("X-RateLimit-Remaining", "4999"),
            new Header("Vary", "Accept, Authorization")), BODY, "\"v1\"", "Tue, 07 Jan 2025 10:00:00 GMT", 1_000);

    @Test
    void notModifiedFieldsReplaceStoredOnes() {
        HeaderFields notModified = new HeaderFields()
                .add("Date", "Wed, 08 Jan 2025 10:00:00 GMT")
                .add("X-RateLimit-Remaining", "4321");

        Entry fresh = EntryUpdater.freshen(STORED, notModified, 5_000);

        assertThat(fresh.header("Date")).hasValue("Wed, 08 Jan 2025 10:00:00 GMT");
        assertThat(fresh.header("X-RateLimit-Remaining")).hasValue("4321");
        assertThat(fresh.headers().stream().filter(h -> h.name().equalsIgnoreCase("Date"))).hasSize(1);
    }

    @Test
    void absentFieldsAreKept() {
        Entry fresh = EntryUpdater.freshen(STORED, new HeaderFields().add("Date", "x"), 5_000);

        assertThat(fresh.header("Vary")).hasValue("Accept, Authorization");
        assertThat(fresh.header("Last-Modified")).hasValue("Tue, 07 Jan 2025 10:00:00 GMT");
    }

    @Test
    void newLinkIsAdded() {
        String link = "<https://api.github.com/repos/o/r/issues?page=2>; rel=\"next\"";

        Entry fresh = EntryUpdater.freshen(STORED, new HeaderFields().add("Link", link), 5_000);

        assertThat(fresh.header("Link")).hasValue(link);
    }

    @Test
    void repeatedFieldKeepsAllValues() {
        HeaderFields notModified = new HeaderFields().add("Link", "<a>; rel=\"next\"").add("link", "<b>; rel=\"last\"");

        Entry fresh = EntryUpdater.freshen(STORED, notModified, 5_000);

        assertThat(fresh.headers().stream().filter(h -> h.name().equalsIgnoreCase("Link")).map(Header::value))
                .containsExactly("<a>; rel=\"next\"", "<b>; rel=\"last\"");
    }

    @Test
    void representationFieldsAreNotUpdated() {
        HeaderFields notModified = new HeaderFields()
                .add("Content-Type", "text/html")
                .add("Content-Length", "0")
                .add("Content-Encoding", "gzip")
                .add("Transfer-Encoding", "chunked");

        Entry fresh = EntryUpdater.freshen(STORED, notModified, 5_000);

        assertThat(fresh.header("Content-Type")).hasValue("application/json; charset=utf-8");
        assertThat(fresh.header("Content-Length")).isEmpty();
        assertThat(fresh.header("Content-Encoding")).isEmpty();
        assertThat(fresh.header("Transfer-Encoding")).isEmpty();
    }

    @Test
    void bodyAndStatusAreKept() {
        Entry fresh = EntryUpdater.freshen(STORED, new HeaderFields(), 5_000);

        assertThat(fresh.body()).isEqualTo(BODY);
        assertThat(fresh.status()).isEqualTo(200);
        assertThat(fresh.target()).isEqualTo(STORED.target());
    }

    @Test
    void storedAtBecomesNow() {
        assertThat(EntryUpdater.freshen(STORED, new HeaderFields(), 5_000).storedAtMillis()).isEqualTo(5_000);
    }

    @Test
    void newValidatorsAreTaken() {
        HeaderFields notModified = new HeaderFields()
                .add("ETag", "W/\"v2\"")
                .add("Last-Modified", "Wed, 08 Jan 2025 10:00:00 GMT");

        Entry fresh = EntryUpdater.freshen(STORED, notModified, 5_000);

        assertThat(fresh.etag()).isEqualTo("W/\"v2\"");
        assertThat(fresh.lastModified()).isEqualTo("Wed, 08 Jan 2025 10:00:00 GMT");
    }

    @Test
    void validatorsSurviveWithoutNewOnes() {
        Entry fresh = EntryUpdater.freshen(STORED, new HeaderFields().add("Date", "x"), 5_000);

        assertThat(fresh.etag()).isEqualTo("\"v1\"");
        assertThat(fresh.lastModified()).isEqualTo("Tue, 07 Jan 2025 10:00:00 GMT");
    }

    @Test
    void dateAndQuotaChangesAreNotSignificant() {
        Entry fresh = EntryUpdater.freshen(STORED, new HeaderFields()
                .add("Date", "Wed, 08 Jan 2025 10:00:00 GMT")
                .add("X-RateLimit-Remaining", "1"), 5_000);

        assertThat(EntryUpdater.significantChange(STORED, fresh)).isFalse();
    }

    @Test
    void linkChangeIsSignificant() {
        Entry fresh = EntryUpdater.freshen(STORED, new HeaderFields().add("Link", "<a>; rel=\"next\""), 5_000);

        assertThat(EntryUpdater.significantChange(STORED, fresh)).isTrue();
    }

    @Test
    void validatorChangeIsSignificant() {
        Entry fresh = EntryUpdater.freshen(STORED, new HeaderFields().add("ETag", "\"v2\""), 5_000);

        assertThat(EntryUpdater.significantChange(STORED, fresh)).isTrue();
    }
}
