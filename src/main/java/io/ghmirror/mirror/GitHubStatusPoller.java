package io.ghmirror.mirror;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Polls the GitHub status API and marks the mirror offline while the "API Requests" component
 * reports {@code major_outage}. An unreachable or unreadable status API is no evidence about the
 * API itself, because many networks block the status page, so it is logged once and changes nothing.
 */
public final class GitHubStatusPoller implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(GitHubStatusPoller.class);

    /** One component object of components.json, name before status as GitHub writes them. */
    private static final Pattern COMPONENT = Pattern.compile(
            "\\{[^{}]*\"name\"\\s*:\\s*\"([^\"]*)\"[^{}]*\"status\"\\s*:\\s*\"([^\"]*)\"[^{}]*}");

    private final URI statusUrl;
    private final Duration interval;
    private final UpstreamHealth health;
    private final HttpClient client;
    private final ScheduledExecutorService scheduler;
    private volatile boolean failing;

    public GitHubStatusPoller(URI statusUrl, Duration interval, Duration timeout, UpstreamHealth health) {
        this.statusUrl = statusUrl;
        this.interval = interval;
        this.health = health;
        this.client = HttpClient.newBuilder()
                .connectTimeout(timeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .proxy(HttpClient.Builder.NO_PROXY)
                .build();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "github-status");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** Starts polling now and then every interval. */
    public void start() {
        log.info("Polling GitHub status at {} every {}", statusUrl, interval);
        scheduler.scheduleWithFixedDelay(this::pollOnce, 0, interval.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** Polls once and updates the offline flag; failures are logged, not thrown. */
    public void pollOnce() {
        try {
            HttpResponse<String> response = client.send(
                    HttpRequest.newBuilder(statusUrl).timeout(interval.compareTo(Duration.ofSeconds(10)) < 0
                            ? interval : Duration.ofSeconds(10)).header("Accept", "application/json").GET().build(),
                    HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                reportFailure("status " + response.statusCode());
                return;
            }
            Boolean outage = apiRequestsOutage(response.body());
            if (outage == null) {
                reportFailure("no \"API Requests\" component in the response");
                return;
            }
            if (failing) {
                failing = false;
                log.info("GitHub status API at {} is readable again", statusUrl);
            }
            health.statusPageOutage(outage);
        } catch (IOException e) {
            reportFailure(e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            reportFailure(e.toString());
        }
    }

    /** Returns whether the API Requests component reports a major outage, or null when absent. */
    static Boolean apiRequestsOutage(String json) {
        Matcher matcher = COMPONENT.matcher(json);
        while (matcher.find()) {
            if (matcher.group(1).equalsIgnoreCase("API Requests")) {
                return matcher.group(2).equals("major_outage");
            }
        }
        return null;
    }

    private void reportFailure(String reason) {
        if (!failing) {
            failing = true;
            log.warn("Cannot read the GitHub status API at {} ({}); the online state stays as it is. "
                    + "Set GITHUB_STATUS_URL to an empty value to stop polling.", statusUrl, reason);
        }
    }

    @Override
    public void close() {
        scheduler.shutdownNow();
        client.close();
    }
}
