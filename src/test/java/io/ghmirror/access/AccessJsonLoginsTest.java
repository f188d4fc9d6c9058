package io.ghmirror.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class AccessJsonLoginsTest {

    @Test
    void objectLoginIsTopLevelMember() {
        String json = "{\"plan\":{\"login\":\"nested\"},\"login\":\"oct\\u006fcat\",\"id\":1,\"site_admin\":false,"
                + "\"bio\":null,\"score\":-1.5e3,\"tags\":[\"a\",{\"login\":\"x\"}]}";

        assertThat(JsonLogins.ofObject(bytes(json))).isEqualTo("octocat");
    }

    @Test
    void objectWithoutLoginReturnsNull() {
        assertThat(JsonLogins.ofObject(bytes("{\"id\":1}"))).isNull();
    }

    @Test
    void arrayLoginsAreElementMembers() {
        String json = " [ {\"login\":\"acme\",\"id\":1}, {\"id\":2,\"login\":\"Globex\"}, {\"owner\":{\"login\":\"x\"}} ] ";

        assertThat(JsonLogins.ofArray(bytes(json))).containsExactly("acme", "Globex");
    }

    @Test
    void emptyArrayHasNoLogins() {
        assertThat(JsonLogins.ofArray(bytes("[]"))).isEmpty();
    }

    @Test
    void malformedJsonIsRejected() {
        assertThatThrownBy(() -> JsonLogins.ofObject(bytes("{\"login\":\"a\""))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonLogins.ofObject(bytes("[]"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonLogins.ofArray(bytes("{}"))).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> JsonLogins.ofObject(bytes("{\"login\":\"a\"} trailing")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void deepNestingIsRejected() {
        String json = "{\"a\":" + "[".repeat(200) + "]".repeat(200) + "}";

        assertThatThrownBy(() -> JsonLogins.ofObject(bytes(json))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("nested");
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
