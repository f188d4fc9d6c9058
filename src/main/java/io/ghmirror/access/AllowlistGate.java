package io.ghmirror.access;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.ghmirror.config.Settings;
import io.ghmirror.http.HeaderFields;
import io.ghmirror.metrics.MirrorMetrics;
import io.ghmirror.mirror.AccessGate;
import io.ghmirror.mirror.CacheKeyGenerator;
import io.ghmirror.mirror.ClientRequest;
import io.ghmirror.mirror.MirrorPipeline;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The allowlist of {@code GITHUB_USERS} and {@code GITHUB_ORGS}, and the {@code user} metric label.
 *
 * <p>When an allowlist is configured, a request needs an {@code Authorization} header whose user is
 * listed in {@code GITHUB_USERS} or belongs to an organization in {@code GITHUB_ORGS}. The user is
 * read from {@code GET /user} with the caller's own credential, through the mirror's cache, so
 * every check after the first is a conditional request whose 304 costs no rate limit.
 * Organization membership is read from {@code GET /user/orgs} the same way: one cached, paginated
 * list covers every configured organization and revalidates for free. Classic tokens without the
 * {@code read:org} or {@code user} scope get 403 there; for them, and past the page limit, the gate
 * asks {@code GET /orgs/{org}/members/{login}} per organization (204 means member), whose answers
 * cannot be cached and cost one rate-limit unit each.
 *
 * <p>Decisions are kept per credential hash, never per token, for {@code AUTH_CACHE_TTL} and then
 * checked again, so a revoked token or a removed user loses access within that time. When a check
 * fails because GitHub cannot be reached, the previous decision for the credential is reused; with
 * none, the request gets 502 or 504. Concurrent checks of one credential share one lookup.
 */
public final class AllowlistGate implements AccessGate {

    private static final Logger log = LoggerFactory.getLogger(AllowlistGate.class);

    /** Page size of the {@code /user/orgs} lookups, GitHub's maximum. */
    static final int ORGS_PER_PAGE = 100;

    /** Pages of {@code /user/orgs} read before falling back to per-organization checks: 1,000 organizations. */
    static final int MAX_ORG_PAGES = 10;

    /** Credentials whose decision is remembered; beyond this the least recently used are dropped. */
    private static final int MAX_REMEMBERED = 100_000;

    /** Time a decision reused after a failed check is trusted before the next attempt. */
    private static final Duration RETRY_AFTER_FAILURE = Duration.ofSeconds(30);

    /** How long a decision is kept for reuse when checks fail and STALE_MAX_AGE sets no limit. */
    private static final Duration DEFAULT_REUSE_LIMIT = Duration.ofHours(24);

    /** Hex digits of the credential hash shown in metric labels and log lines. */
    private static final int HASH_LABEL_LENGTH = 12;

    /** {@code X-Cache} values of responses served from the cache because GitHub could not confirm them. */
    private static final Set<String> UNCONFIRMED_OUTCOMES =
            Set.of("STALE_ERROR", "STALE_TIMEOUT", "STALE_RATE_LIMITED", "OFFLINE_HIT");

    /** Fetches a target through the mirror's cache with the given request headers. */
    @FunctionalInterface
    public interface Lookup {

        /**
         * Returns the response to a GET of the target.
         *
         * @throws IOException when the lookup could not produce a response
         */
        MirrorPipeline.InternalResponse get(String target, HeaderFields headers) throws IOException;
    }

    /** Kinds of allowlist verdict for one credential. */
    private enum Kind {
        ALLOWED,
        DENIED,
        /** GitHub rejected the credential itself. */
        UNAUTHENTICATED
    }

    /**
     * A decision and the time until it must be checked again.
     *
     * @param login the GitHub login of the credential, or {@code null} when it is not known
     * @param message the client-facing reason for a refusal, or {@code null} when allowed
     * @param decidedAtMillis when GitHub last confirmed the decision
     * @param validUntilMillis when the decision must be checked again
     */
    private record Verdict(Kind kind, String login, String message, long decidedAtMillis, long validUntilMillis) {

        Verdict extendedUntil(long millis) {
            return new Verdict(kind, login, message, decidedAtMillis, millis);
        }
    }

    /** The result of one check: a verdict, or a failure that leaves the credential undecided. */
    private sealed interface Result {
        record Decided(Verdict verdict) implements Result {}

        record Failed(int status, String message) implements Result {}
    }

    /** The result of a membership check against the configured organizations. */
    private sealed interface Membership {
        record Known(boolean member, boolean confirmed) implements Membership {}

        record Failed(int status, String reason) implements Membership {}
    }

    private final Settings.Access access;
    private final Set<String> users;
    private final Set<String> orgs;
    private final CacheKeyGenerator keys;
    private final MirrorMetrics metrics;
    private final Clock clock;
    private final Duration followerWait;
    private final Cache<String, Verdict> verdicts;
    private final ConcurrentHashMap<String, CompletableFuture<Result>> inFlight = new ConcurrentHashMap<>();
    private volatile Lookup lookup;

    /**
     * Creates a gate; call {@link #connect} before the first request when an allowlist is configured.
     *
     * @param settings the mirror settings: the access settings, the upstream timeout (which bounds
     *     how long a request waits for a check of its credential already in progress) and
     *     {@code STALE_MAX_AGE} (how long a decision may be reused while checks fail)
     * @param keys derives the credential hash that decisions and labels are keyed by
     */
    public AllowlistGate(Settings settings, CacheKeyGenerator keys, MirrorMetrics metrics, Clock clock) {
        this.access = settings.access();
        this.users = lowerCase(access.users());
        this.orgs = new TreeSet<>(lowerCase(access.orgs()));
        this.keys = keys;
        this.metrics = metrics;
        this.clock = clock;
        this.followerWait = settings.upstreamTimeout().multipliedBy(2L + MAX_ORG_PAGES + orgs.size());
        Duration reuseLimit = settings.resilience().staleMaxAge() == null
                ? DEFAULT_REUSE_LIMIT
                : settings.resilience().staleMaxAge();
        this.verdicts = Caffeine.newBuilder()
                .maximumSize(MAX_REMEMBERED)
                .expireAfterWrite(access.authCacheTtl().plus(reuseLimit))
                .ticker(() -> TimeUnit.MILLISECONDS.toNanos(clock.millis()))
                .build();
    }

    /**
     * Sets where the gate reads {@code /user} and organization memberships, normally
     * {@code pipeline::internalGet}. A separate step because the pipeline itself takes the gate.
     */
    public void connect(Lookup lookup) {
        this.lookup = lookup;
    }

    @Override
    public Decision check(ClientRequest request) {
        if (!access.allowlistEnabled()) {
            return Decision.ALLOW;
        }
        List<String> authorizations = request.headers().all("Authorization");
        if (authorizations.stream().allMatch(String::isBlank)) {
            metrics.countAccessDecision("unauthenticated");
            return new Decision(false, 401, "Requires authentication. This mirror serves only allowed GitHub users: "
                    + "send your GitHub token in the Authorization header.");
        }

        String credential = keys.credentialHash(String.join(", ", authorizations));
        Result result = resolve(credential, authorizations);
        if (result instanceof Result.Failed failed) {
            metrics.countAccessDecision("unavailable");
            return new Decision(false, failed.status(), failed.message());
        }
        Verdict verdict = ((Result.Decided) result).verdict();
        return switch (verdict.kind()) {
            case ALLOWED -> {
                metrics.countAccessDecision("allowed");
                yield Decision.ALLOW;
            }
            case DENIED -> {
                metrics.countAccessDecision("denied");
                yield new Decision(false, 403, verdict.message());
            }
            case UNAUTHENTICATED -> {
                metrics.countAccessDecision("unauthenticated");
                yield new Decision(false, 401, verdict.message());
            }
        };
    }

    @Override
    public String userLabel(ClientRequest request) {
        String mode = access.metricsUserLabel();
        if (mode.equals("none")) {
            return "";
        }
        List<String> authorizations = request.headers().all("Authorization");
        if (authorizations.isEmpty()) {
            return "anonymous";
        }
        String credential = keys.credentialHash(String.join(", ", authorizations));
        if (mode.equals("login")) {
            Verdict verdict = verdicts.getIfPresent(credential);
            if (verdict != null && verdict.login() != null) {
                return verdict.login();
            }
        }
        return credential.substring(0, HASH_LABEL_LENGTH);
    }

    // ---------------------------------------------------------------- one check per credential at a time

    /** Returns the current decision for the credential, checking it when it is missing or expired. */
    private Result resolve(String credential, List<String> authorizations) {
        Verdict known = verdicts.getIfPresent(credential);
        if (known != null && clock.millis() < known.validUntilMillis()) {
            return new Result.Decided(known);
        }

        CompletableFuture<Result> mine = new CompletableFuture<>();
        CompletableFuture<Result> running = inFlight.putIfAbsent(credential, mine);
        if (running != null) {
            return awaitLeader(running);
        }
        try {
            // Another request may have finished a check between the lookup above and taking the lead.
            Verdict current = verdicts.getIfPresent(credential);
            Result result = current != null && clock.millis() < current.validUntilMillis()
                    ? new Result.Decided(current)
                    : evaluate(credential, authorizations, current);
            mine.complete(result);
            return result;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            inFlight.remove(credential, mine);
        }
    }

    private Result awaitLeader(CompletableFuture<Result> running) {
        try {
            return running.get(followerWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            return new Result.Failed(504, "Timed out waiting for the allowlist check of this token that was already "
                    + "in progress. Retry later.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Result.Failed(503, "Interrupted while waiting for the allowlist check of this token.");
        } catch (ExecutionException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException("the allowlist check failed", e.getCause());
        }
    }

    // ---------------------------------------------------------------- the check itself

    /** Looks up the credential's user and membership upstream and stores the verdict. */
    private Result evaluate(String credential, List<String> authorizations, Verdict previous) {
        Lookup source = lookup;
        if (source == null) {
            throw new IllegalStateException("AllowlistGate.connect was not called before the first request");
        }
        String label = credential.substring(0, HASH_LABEL_LENGTH);
        HeaderFields headers = new HeaderFields();
        authorizations.forEach(value -> headers.add("Authorization", value));

        MirrorPipeline.InternalResponse user;
        try {
            user = source.get("/user", headers);
        } catch (IOException e) {
            return failed(credential, previous, 502, "reading /user failed: " + e.getMessage());
        }

        int status = user.status();
        if (status == 401) {
            log.debug("Allowlist: GitHub rejected credential {} on /user", label);
            return decided(credential, Kind.UNAUTHENTICATED, null,
                    "Bad credentials. GitHub rejected this token when the mirror looked up its user.", true);
        }
        if (rateLimited(user)) {
            return failed(credential, previous, 502, "GitHub rate-limited the /user lookup (" + status + ")");
        }
        if (status >= 500) {
            return failed(credential, previous, status == 504 ? 504 : 502, "GitHub answered " + status + " on /user");
        }
        if (status != 200) {
            log.info("Allowlist: GitHub answered {} on /user for credential {}; denying", status, label);
            return decided(credential, Kind.DENIED, null, "GitHub answered " + status + " when the mirror looked up "
                    + "the user of this token on /user, so the allowlist cannot identify it. GitHub App installation "
                    + "tokens have no user: use a token that belongs to a user.", true);
        }

        String login;
        try {
            login = JsonLogins.ofObject(user.body());
        } catch (IllegalArgumentException e) {
            return failed(credential, previous, 502, "the /user response is not valid JSON (" + e.getMessage() + ")");
        }
        if (login == null || login.isBlank()) {
            return failed(credential, previous, 502, "the /user response has no login");
        }
        boolean confirmed = confirmed(user);
        if (!confirmed && previous != null) {
            return failed(credential, previous, 502, "GitHub could not confirm /user ("
                    + user.headers().first("X-Cache").orElse("") + ")");
        }

        String key = login.toLowerCase(Locale.ROOT);
        boolean allowed = users.contains(key);
        if (!allowed && !orgs.isEmpty()) {
            Membership membership = checkOrgs(source, headers, login);
            if (membership instanceof Membership.Failed failure) {
                return failed(credential, previous, failure.status(), failure.reason());
            }
            Membership.Known known = (Membership.Known) membership;
            if (!known.confirmed() && previous != null) {
                return failed(credential, previous, 502, "GitHub could not confirm the organization memberships");
            }
            allowed = known.member();
            confirmed = confirmed && known.confirmed();
        }

        if (allowed) {
            log.debug("Allowlist: allowed GitHub user {} (credential {})", login, label);
            return decided(credential, Kind.ALLOWED, login, null, confirmed);
        }
        log.info("Allowlist: denied GitHub user {} (credential {}): not in GITHUB_USERS or GITHUB_ORGS", login, label);
        return decided(credential, Kind.DENIED, login, "The GitHub user '" + login + "' is not allowed to use this "
                + "mirror. Ask its operator to add the login to GITHUB_USERS, or the user to an organization in "
                + "GITHUB_ORGS.", confirmed);
    }

    /**
     * Lists the user's organizations and compares them with {@code GITHUB_ORGS}; falls back to
     * per-organization membership checks when the list is refused (a classic token without
     * {@code read:org} or {@code user}) or longer than the page limit.
     */
    private Membership checkOrgs(Lookup source, HeaderFields headers, String login) {
        boolean confirmed = true;
        for (int page = 1; page <= MAX_ORG_PAGES; page++) {
            MirrorPipeline.InternalResponse response;
            String target = "/user/orgs?per_page=" + ORGS_PER_PAGE + "&page=" + page;
            try {
                response = source.get(target, headers);
            } catch (IOException e) {
                return new Membership.Failed(502, "reading " + target + " failed: " + e.getMessage());
            }
            int status = response.status();
            if (status >= 500 || rateLimited(response)) {
                return new Membership.Failed(status == 504 ? 504 : 502, "GitHub answered " + status + " on /user/orgs");
            }
            if (status != 200) {
                return checkEachOrg(source, headers, login);
            }
            List<String> names;
            try {
                names = JsonLogins.ofArray(response.body());
            } catch (IllegalArgumentException e) {
                return new Membership.Failed(502, "the /user/orgs response is not valid JSON (" + e.getMessage() + ")");
            }
            confirmed &= confirmed(response);
            for (String name : names) {
                if (orgs.contains(name.toLowerCase(Locale.ROOT))) {
                    return new Membership.Known(true, confirmed);
                }
            }
            if (names.size() < ORGS_PER_PAGE) {
                return new Membership.Known(false, confirmed);
            }
        }
        return checkEachOrg(source, headers, login);
    }

    /** Asks {@code GET /orgs/{org}/members/{login}} for each configured organization: 204 means member. */
    private Membership checkEachOrg(Lookup source, HeaderFields headers, String login) {
        for (String org : orgs) {
            String target = "/orgs/" + pathSegment(org) + "/members/" + pathSegment(login);
            MirrorPipeline.InternalResponse response;
            try {
                response = source.get(target, headers);
            } catch (IOException e) {
                return new Membership.Failed(502, "reading " + target + " failed: " + e.getMessage());
            }
            int status = response.status();
            if (status == 204) {
                return new Membership.Known(true, true);
            }
            if (status >= 500 || rateLimited(response)) {
                return new Membership.Failed(status == 504 ? 504 : 502,
                        "GitHub answered " + status + " on the membership check for " + org);
            }
            // 404 and 302 (the requester is not a member) mean no membership. So does a 403 for a
            // token that may not see the membership, such as one not authorized for the organization's SSO.
        }
        return new Membership.Known(false, true);
    }

    // ---------------------------------------------------------------- helpers

    /** Stores a verdict: for the full TTL when GitHub confirmed it, else until the next retry. */
    private Result decided(String credential, Kind kind, String login, String message, boolean confirmed) {
        long now = clock.millis();
        Duration validFor = confirmed ? access.authCacheTtl() : retryInterval();
        Verdict stored = new Verdict(kind, login, message, now, now + validFor.toMillis());
        verdicts.put(credential, stored);
        return new Result.Decided(stored);
    }

    /** Reuses the previous verdict after a failed check, or reports the failure when there is none. */
    private Result failed(String credential, Verdict previous, int status, String reason) {
        String label = credential.substring(0, HASH_LABEL_LENGTH);
        if (previous != null) {
            long now = clock.millis();
            log.warn("Allowlist check of credential {} failed ({}); reusing the decision from {}s ago", label, reason,
                    Math.max(0, (now - previous.decidedAtMillis()) / 1000));
            Verdict reused = previous.extendedUntil(now + retryInterval().toMillis());
            verdicts.put(credential, reused);
            return new Result.Decided(reused);
        }
        log.warn("Allowlist check of credential {} failed ({}) and no earlier decision exists", label, reason);
        return new Result.Failed(status, "The mirror could not check this token against its allowlist: " + reason
                + ". Retry later.");
    }

    private Duration retryInterval() {
        Duration ttl = access.authCacheTtl();
        return ttl.compareTo(RETRY_AFTER_FAILURE) < 0 ? ttl : RETRY_AFTER_FAILURE;
    }

    /**
     * Returns whether GitHub confirmed the response just now. A stale response served because
     * GitHub failed is still the last one GitHub gave this very credential. It may therefore decide
     * a credential that has no verdict yet, but only until the next retry.
     */
    private static boolean confirmed(MirrorPipeline.InternalResponse response) {
        return !UNCONFIRMED_OUTCOMES.contains(response.headers().first("X-Cache").orElse(""));
    }

    /** Returns whether a 403 or 429 is GitHub's primary or secondary rate limit rather than a refusal. */
    private static boolean rateLimited(MirrorPipeline.InternalResponse response) {
        int status = response.status();
        if (status == 429) {
            return true;
        }
        if (status != 403) {
            return false;
        }
        HeaderFields headers = response.headers();
        if (headers.first("X-RateLimit-Remaining").map(value -> value.trim().equals("0")).orElse(false)
                || headers.contains("Retry-After")) {
            return true;
        }
        String body = new String(response.body(), StandardCharsets.UTF_8).toLowerCase(Locale.ROOT);
        return body.contains("rate limit");
    }

    /** Percent-encodes everything but RFC 3986 unreserved characters, for a login or organization in a path. */
    private static String pathSegment(String value) {
        StringBuilder encoded = new StringBuilder();
        for (byte b : value.getBytes(StandardCharsets.UTF_8)) {
            char c = (char) (b & 0xff);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || "-._~".indexOf(c) >= 0) {
                encoded.append(c);
            } else {
                encoded.append('%').append(String.format("%02X", b & 0xff));
            }
        }
        return encoded.toString();
    }

    private static Set<String> lowerCase(List<String> values) {
        Set<String> lower = new LinkedHashSet<>();
        for (String value : values) {
            lower.add(value.toLowerCase(Locale.ROOT));
        }
        return Set.copyOf(lower);
    }
}
