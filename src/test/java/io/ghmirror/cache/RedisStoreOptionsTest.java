package io.ghmirror.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class RedisStoreOptionsTest {

    @Test
    void defaultsMatchDocumentation() {
        RedisStoreOptions options = RedisStoreOptions.defaults();

        assertThat(options.host()).isEqualTo("localhost");
        assertThat(options.port()).isEqualTo(6379);
        assertThat(options.readerConfigured()).isFalse();
        assertThat(options.effectiveReaderHost()).isEqualTo("localhost");
        assertThat(options.effectiveReaderPort()).isEqualTo(6379);
        assertThat(options.password()).isNull();
        assertThat(options.ssl()).isFalse();
        assertThat(options.redisUrl()).isNull();
        assertThat(options.cluster()).isFalse();
        assertThat(options.keyPrefix()).isEqualTo("github-mirror:");
        assertThat(options.entryTtl()).isEqualTo(Duration.ofDays(7));
        assertThat(options.commandTimeout()).isEqualTo(Duration.ofMillis(500));
    }

    @Test
    void toStringHidesPasswords() {
        RedisStoreOptions options = RedisStoreOptions.defaults()
                .withPassword("plain-secret")
                .withRedisUrl("rediss://user:url-secret@cache.internal:6380/0?timeout=1s");

        assertThat(options.toString())
                .doesNotContain("plain-secret")
                .doesNotContain("url-secret")
                .contains("password=***")
                .contains("rediss://***@cache.internal:6380/0?timeout=1s");
    }

    @Test
    void redactUrlKeepsUrlsWithoutCredentials() {
        assertThat(RedisStoreOptions.redactUrl("redis://cache.internal:6379")).isEqualTo("redis://cache.internal:6379");
        assertThat(RedisStoreOptions.redactUrl("redis-sentinel://p%40ss@s1:26379,s2:26379#mymaster"))
                .isEqualTo("redis-sentinel://***@s1:26379,s2:26379#mymaster");
        assertThat(RedisStoreOptions.redactUrl(null)).isNull();
    }

    @Test
    void invalidValuesAreRejected() {
        RedisStoreOptions defaults = RedisStoreOptions.defaults();

        assertThatThrownBy(() -> defaults.withPort(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withPort(70_000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withReaderPort(-1)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withHost(" ")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withReaderHost("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withEntryTtl(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withCommandTimeout(Duration.ofNanos(10)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> defaults.withKeyPrefix(null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    void invalidRedisUrlIsRejectedWithoutPassword() {
        RedisStoreOptions options = RedisStoreOptions.defaults().withRedisUrl("ftp://:hidden-pass@127.0.0.1:1");

        assertThatThrownBy(() -> new RedisStore(options))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("hidden-pass");
    }
}
