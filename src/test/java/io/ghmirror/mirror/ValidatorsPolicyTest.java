package io.ghmirror.mirror;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.cache.Entry;
import io.ghmirror.http.HeaderFields;
import java.util.List;
import org.junit.jupiter.api.Test;

class ValidatorsPolicyTest {

    private static final String LAST_MODIFIED = "Tue, 07 Jan 2025 10:00:00 GMT";
    private static final Entry TAGGED = entry("\"abc\"", LAST_MODIFIED);
    private static final Entry UNTAGGED = entry(null, LAST_MODIFIED);

    @Test
    void matchingTagIsCurrent() {
        assertThat(Validators.clientHasCurrent(request("If-None-Match", "\"abc\""), TAGGED)).isTrue();
    }

    @Test
    void weakTagMatchesStrongTag() {
        assertThat(Validators.clientHasCurrent(request("If-None-Match", "W/\"abc\""), TAGGED)).isTrue();
        assertThat(Validators.clientHasCurrent(request("If-None-Match", "\"abc\""), entry("W/\"abc\"", null)))
                .isTrue();
    }

    @Test
    void tagListMatchesAnyMember() {
        assertThat(Validators.clientHasCurrent(request("If-None-Match", "\"x\", \"abc\" ,\"y\""), TAGGED)).isTrue();
    }

    @Test
    void wildcardMatches() {
        assertThat(Validators.clientHasCurrent(request("If-None-Match", "*"), TAGGED)).isTrue();
    }

    @Test
    void otherTagIsNotCurrent() {
        assertThat(Validators.clientHasCurrent(request("If-None-Match", "\"abd\""), TAGGED)).isFalse();
    }

    @Test
    void tagRequestOnUntaggedEntryIsNotCurrent() {
        HeaderFields headers = request("If-None-Match", "\"abc\"").add("If-Modified-Since", LAST_MODIFIED);

        assertThat(Validators.clientHasCurrent(headers, UNTAGGED)).isFalse();
    }

    @Test
    void noneMatchOverridesModifiedSince() {
        HeaderFields headers = request("If-None-Match", "\"old\"").add("If-Modified-Since", LAST_MODIFIED);

        assertThat(Validators.clientHasCurrent(headers, TAGGED)).isFalse();
    }

    @Test
    void modifiedSinceEqualIsCurrent() {
        assertThat(Validators.clientHasCurrent(request("If-Modified-Since", LAST_MODIFIED), UNTAGGED)).isTrue();
    }

    @Test
    void modifiedSinceLaterIsCurrent() {
        HeaderFields headers = request("If-Modified-Since", "Wed, 08 Jan 2025 10:00:00 GMT");

        assertThat(Validators.clientHasCurrent(headers, UNTAGGED)).isTrue();
    }

    @Test
    void modifiedSinceEarlierIsNotCurrent() {
        HeaderFields headers = request("If-Modified-Since", "Mon, 06 Jan 2025 10:00:00 GMT");

        assertThat(Validators.clientHasCurrent(headers, UNTAGGED)).isFalse();
    }

    @Test
    void invalidDateIsIgnored() {
        assertThat(Validators.clientHasCurrent(request("If-Modified-Since", "yesterday"), UNTAGGED)).isFalse();
    }

    @Test
    void noConditionalIsNotCurrent() {
        assertThat(Validators.clientHasCurrent(new HeaderFields(), TAGGED)).isFalse();
    }

    private static HeaderFields request(String name, String value) {
        return new HeaderFields().add(name, value);
    }

    private static Entry entry(String etag, String lastModified) {
        return new Entry("/repos/o/r", 200, List.of(), new byte[0], etag, lastModified, 0);
    }
}
