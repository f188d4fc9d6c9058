package io.ghmirror.access;

import static org.assertj.core.api.Assertions.assertThat;

import io.ghmirror.fake.FakeGitHub;
import io.ghmirror.support.MirrorHarness;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Random interleavings of requests from three tokens (and anonymous callers) with different access
 * to private resources, while the resources and their readers change upstream. Every response the
 * mirror gives must equal, in status and body, what the same caller gets from the fake directly at
 * that moment, so no caller ever receives a body meant for another.
 *
 * <p>A seeded random loop rather than jqwik, because the tries share one running mirror and fake
 * and are bounded in time as well as in count. The seed is printed and can be fixed with
 * {@code -Disolation.seed=N} to replay a failure.
 */
class IsolationPropertyTest {

    private static final int MAX_TRIES = 200;
    private static final int MAX_STEPS = 20;
    private static final int MIN_TRIES = 20;
    private static final Duration TIME_BUDGET = Duration.ofSeconds(60);
    private static final int RESOURCES_PER_TRY = 3;
    private static final String[] TOKENS = {"token iso_alpha", "token iso_beta", "token iso_gamma"};
    private static final String[] ACCEPTS = {"application/vnd.github+json", "application/json", null};

    @Test
    void everyCallerGetsExactlyWhatUpstreamGivesIt() throws Exception {
        long seed = Long.getLong("isolation.seed", System.nanoTime());
        System.out.println("IsolationPropertyTest seed " + seed + " (replay with -Disolation.seed=" + seed + ")");
        Random random = new Random(seed);
        long deadline = System.nanoTime() + TIME_BUDGET.toNanos();

        try (FakeGitHub github = FakeGitHub.start();
                MirrorHarness mirror = MirrorHarness.start(github.baseUrl());
                HttpClient direct = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .connectTimeout(Duration.ofSeconds(5)).build()) {
            github.setRateLimit(null, 1_000_000);
            for (String token : TOKENS) {
                github.setRateLimit(token, 1_000_000);
            }

            int tries = 0;
            int requests = 0;
            while (tries < MAX_TRIES && (tries < MIN_TRIES || System.nanoTime() < deadline)) {
                Script script = new Script(seed, tries);
                String[] paths = new String[RESOURCES_PER_TRY];
                for (int k = 0; k < RESOURCES_PER_TRY; k++) {
                    paths[k] = "/repos/iso/try" + tries + "-r" + k;
                    publish(github, paths[k], random, script);
                }

                int steps = 1 + random.nextInt(MAX_STEPS);
                for (int step = 0; step < steps; step++) {
                    String path = paths[random.nextInt(RESOURCES_PER_TRY)];
                    if (random.nextInt(5) == 0) {
                        publish(github, path, random, script);
                        continue;
                    }
                    String authorization = random.nextInt(8) == 0 ? null : TOKENS[random.nextInt(TOKENS.length)];
                    String accept = ACCEPTS[random.nextInt(ACCEPTS.length)];
                    script.add("GET " + path + " as " + authorization + " accept " + accept);

                    Observed viaMirror = Observed.of(mirror.send(request(mirror, path, authorization, accept)));
                    Observed upstream = Observed.of(direct.send(directRequest(github, path, authorization, accept),
                            HttpResponse.BodyHandlers.ofByteArray()));
                    assertThat(viaMirror).as(script.describe()).isEqualTo(upstream);
                    requests++;
                }

                if (tries % 10 == 0) {
                    requests += concurrentRound(github, mirror, direct, paths, script);
                }
                tries++;
            }
            System.out.println("IsolationPropertyTest: " + tries + " tries, " + requests + " compared requests");
            assertThat(tries).isGreaterThanOrEqualTo(MIN_TRIES);
        }
    }

    /**
     * Sends every token's request for every resource at once, with nothing changing upstream, and
     * compares each response with the one the fake gives that token directly.
     */
    private static int concurrentRound(FakeGitHub github, MirrorHarness mirror, HttpClient direct, String[] paths,
            Script script) throws Exception {
        List<String[]> calls = new ArrayList<>();
        List<Observed> expected = new ArrayList<>();
        for (String path : paths) {
            for (String token : TOKENS) {
                calls.add(new String[] {path, token});
                expected.add(Observed.of(direct.send(directRequest(github, path, token, ACCEPTS[0]),
                        HttpResponse.BodyHandlers.ofByteArray())));
            }
        }
        ExecutorService threads = Executors.newFixedThreadPool(calls.size());
        try {
            List<Future<Observed>> results = new ArrayList<>();
            for (String[] call : calls) {
                results.add(threads.submit(() -> Observed.of(mirror.send(request(mirror, call[0], call[1],
                        ACCEPTS[0])))));
            }
            for (int i = 0; i < calls.size(); i++) {
                assertThat(results.get(i).get(30, TimeUnit.SECONDS))
                        .as(script.describe() + "\nconcurrent GET " + calls.get(i)[0] + " as " + calls.get(i)[1])
                        .isEqualTo(expected.get(i));
            }
        } finally {
            threads.shutdownNow();
        }
        return calls.size();
    }

    /** Publishes a new body with a random set of readers, or public, or removes the resource. */
    private static void publish(FakeGitHub github, String path, Random random, Script script) {
        int choice = random.nextInt(10);
        String body = "{\"path\":\"" + path + "\",\"version\":" + random.nextInt(4) + "}";
        if (choice == 0) {
            github.remove(path);
            script.add("remove " + path);
            return;
        }
        if (choice == 1) {
            github.putJson(path, body);
            script.add("publish " + path + " public " + body);
            return;
        }
        List<String> readers = new ArrayList<>();
        for (String token : TOKENS) {
            if (random.nextBoolean()) {
                readers.add(token);
            }
        }
        if (readers.isEmpty()) {
            readers.add(TOKENS[random.nextInt(TOKENS.length)]);
        }
        github.putPrivate(path, body, readers.toArray(String[]::new));
        script.add("publish " + path + " for " + readers + " " + body);
    }

    private static HttpRequest request(MirrorHarness mirror, String path, String authorization, String accept) {
        return withHeaders(mirror.request(path), authorization, accept);
    }

    private static HttpRequest directRequest(FakeGitHub github, String path, String authorization, String accept) {
        return withHeaders(HttpRequest.newBuilder(github.uri(path)).timeout(Duration.ofSeconds(20)), authorization,
                accept);
    }

    private static HttpRequest withHeaders(HttpRequest.Builder builder, String authorization, String accept) {
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        if (accept != null) {
            builder.header("Accept", accept);
        }
        return builder.GET().build();
    }

    /** The parts of a response that must match: status and body text. */
    private record Observed(int status, String body) {
        static Observed of(HttpResponse<byte[]> response) {
            return new Observed(response.statusCode(), new String(response.body(), StandardCharsets.UTF_8));
        }
    }

    /** The steps of one try, for the failure message. */
    private static final class Script {
        private final List<String> steps = new ArrayList<>();
        private final long seed;
        private final int tryNumber;

        Script(long seed, int tryNumber) {
            this.seed = seed;
            this.tryNumber = tryNumber;
        }

        void add(String step) {
            steps.add(step);
        }

        String describe() {
            return "seed " + seed + ", try " + tryNumber + ":\n  " + String.join("\n  ", steps);
        }
    }
}
