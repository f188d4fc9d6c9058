package io.ghmirror;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ghmirror.config.Settings;
import io.ghmirror.config.SettingsException;
import io.ghmirror.support.MirrorHarness;
import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

/** Parsing of settings: an invalid value stops startup with a message that names the setting and the value. */
class CoreConfigTest {

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
        "--port=abc                          | PORT                     | abc",
        "--port=70000                        | PORT                     | 70000",
        "--cache-memory-max-bytes=12XB       | CACHE_MEMORY_MAX_BYTES   | 12XB",
        "--cache-max-entry-bytes=lots        | CACHE_MAX_ENTRY_BYTES    | lots",
        "--upstream-timeout=-1               | UPSTREAM_TIMEOUT         | -1",
        "--upstream-timeout=0s               | UPSTREAM_TIMEOUT         | 0s",
        "--upstream-connect-timeout=1 minute | UPSTREAM_CONNECT_TIMEOUT | 1 minute",
        "--github-api-url=ftp://x            | GITHUB_API_URL           | ftp://x",
        "--github-api-url=api.github.com     | GITHUB_API_URL           | api.github.com",
        "--github-mirror-url=https://m/?a=b  | GITHUB_MIRROR_URL        | https://m/?a=b",
        "--cache-type=floppy                 | CACHE_TYPE               | floppy",
    })
    void invalidValueNamesSetting(String flag, String setting, String value) {
        assertThatThrownBy(() -> MirrorHarness.settings(flag))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining(setting)
                .hasMessageContaining(value);
    }

    @Test
    void invalidValueStopsStartup() {
        assertThatThrownBy(() -> MirrorHarness.start("http://127.0.0.1:9", "--port=abc"))
                .isInstanceOf(SettingsException.class)
                .hasMessageContaining("PORT")
                .hasMessageContaining("abc");
    }

    @Test
    void byteSizesParse() {
        Settings settings = MirrorHarness.settings(
                "--cache-memory-max-bytes=512MiB",
                "--cache-max-entry-bytes=64k",
                "--cache-max-bytes=2GiB");

        assertThat(settings.cacheMemoryMaxBytes()).isEqualTo(512L * 1024 * 1024);
        assertThat(settings.cacheMaxEntryBytes()).isEqualTo(64L * 1024);
        assertThat(settings.cacheMaxBytes()).isEqualTo(2L * 1024 * 1024 * 1024);
    }

    @Test
    void durationsParse() {
        Settings settings = MirrorHarness.settings(
                "--upstream-timeout=10s",
                "--upstream-connect-timeout=500ms",
                "--cache-ttl=7d");

        assertThat(settings.upstreamTimeout()).isEqualTo(Duration.ofSeconds(10));
        assertThat(settings.upstreamConnectTimeout()).isEqualTo(Duration.ofMillis(500));
        assertThat(settings.cacheTtl()).isEqualTo(Duration.ofDays(7));
    }

    @Test
    void upstreamTrailingSlashDropped() {
        Settings settings = MirrorHarness.settings("--github-api-url=https://ghe.example.test/api/v3/");

        assertThat(settings.upstream().toString()).isEqualTo("https://ghe.example.test/api/v3");
    }
}
