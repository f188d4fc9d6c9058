package io.ghmirror.fake;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Users, repositories, issues and file contents of the fake, published as resources in a {@link ResourceStore}.
 *
 * <p>Every change re-renders the affected documents, so their bodies, ETags and {@code Last-Modified} times change
 * the way GitHub's do. Issue lists are rendered per request because their pages depend on the query.
 */
final class GitHubData {

    static final String DEFAULT_BRANCH = "main";
    static final int DEFAULT_PER_PAGE = 30;
    static final int MAX_PER_PAGE = 100;
    private static final Pattern FULL_NAME = Pattern.compile("[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+");

    /** User or organization login with its numeric id. */
    record Account(String login, long id, Instant createdAt) {
    }

    /** Mutable state of one repository, guarded by the enclosing {@link GitHubData}. */
    static final class Repository {
        final Account owner;
        final String name;
        final long id;
        final Set<String> readerTokens;
        final Instant createdAt;
        Instant updatedAt;
        Instant issuesChangedAt;
        final List<Issue> issues = new ArrayList<>();

        Repository(Account owner, String name, long id, Set<String> readerTokens, Instant createdAt) {
            this.owner = owner;
            this.name = name;
            this.id = id;
            this.readerTokens = Set.copyOf(readerTokens);
            this.createdAt = createdAt;
            this.updatedAt = createdAt;
            this.issuesChangedAt = createdAt;
        }

        String fullName() {
            return owner.login() + "/" + name;
        }
    }

    /** Mutable state of one issue, guarded by the enclosing {@link GitHubData}. */
    static final class Issue {
        final int number;
        final long id;
        final Instant createdAt;
        String title;
        Instant updatedAt;
        String json;

        Issue(int number, long id, String title, Instant createdAt) {
            this.number = number;
            this.id = id;
            this.title = title;
            this.createdAt = createdAt;
            this.updatedAt = createdAt;
        }
    }

    /** One page of an issue list and the {@code Link} header value that goes with it, or null for none. */
    record IssuePage(Resource resource, String link) {
    }

    /**
     * Paging parameters of a list request. {@code keptParameters} are the raw {@code name=value} pairs other than
     * {@code page}, in request order, for the {@code Link} URLs.
     */
    record ListQuery(int perPage, long page, boolean descending, List<String> keptParameters) {

        static ListQuery parse(String rawQuery) {
            List<String> keptParameters = new ArrayList<>();
            int perPage = DEFAULT_PER_PAGE;
            long page = 1;
            boolean descending = false;
            for (String pair : rawQuery == null ? new String[0] : rawQuery.split("&")) {
                if (pair.isEmpty()) {
                    continue;
                }
                int equals = pair.indexOf('=');
                String name = decode(equals < 0 ? pair : pair.substring(0, equals));
                String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
                switch (name) {
                    // Capping the page keeps (page - 1) * perPage far from overflowing a long.
                    case "page" -> page = Math.min(Integer.MAX_VALUE, Math.max(1, parseOr(value, 1)));
                    case "per_page" -> {
                        long requested = parseOr(value, DEFAULT_PER_PAGE);
                        perPage = requested < 1 ? DEFAULT_PER_PAGE : (int) Math.min(requested, MAX_PER_PAGE);
                    }
                    case "direction" -> descending = value.equals("desc");
                    default -> {
                    }
                }
                if (!name.equals("page")) {
                    keptParameters.add(pair);
                }
            }
            return new ListQuery(perPage, page, descending, List.copyOf(keptParameters));
        }
    }

    private final Documents documents;
    private final ResourceStore resources;
    private final Map<String, Account> accountsByLogin = new HashMap<>();
    private final Map<String, Account> usersByToken = new HashMap<>();
    private final Map<String, Repository> repositories = new HashMap<>();
    private long nextAccountId = 1000;
    private long nextRepositoryId = 100_000;
    private long nextIssueId = 1_000_000;

    GitHubData(Documents documents, ResourceStore resources) {
        this.documents = documents;
        this.resources = resources;
    }

    /** Registers a token for {@code login}, publishes {@code /users/{login}} and returns the user's id. */
    synchronized long addUser(String token, String login) {
        if (token == null || token.isBlank()) {
            throw new IllegalArgumentException("token must not be blank");
        }
        Account account = account(login);
        usersByToken.put(token, account);
        return account.id();
    }

    /** Returns the user of a token registered with {@link #addUser}, or null for an unknown token. */
    synchronized Account userForToken(String token) {
        return usersByToken.get(token);
    }

    synchronized boolean isKnownToken(String token) {
        return usersByToken.containsKey(token);
    }

    /** Creates the repository and publishes {@code /repos/{owner}/{repo}}. */
    synchronized void addRepository(String fullName, Set<String> readerTokens) {
        requireFullName(fullName);
        if (repositories.containsKey(fullName)) {
            throw new IllegalStateException("repository " + fullName + " already exists in the fake");
        }
        createRepository(fullName, readerTokens);
    }

    /**
     * Publishes a file at {@code /repos/{owner}/{repo}/contents/{path}}, as JSON by default and as raw bytes for the
     * raw media type, and at the {@code download_url} {@code /raw/{owner}/{repo}/main/{path}}. The repository is
     * created as public if it does not exist.
     */
    synchronized void putContent(String fullName, String path, byte[] content) {
        Repository repository = repositoryOrCreate(fullName);
        String relative = path.startsWith("/") ? path.substring(1) : path;
        if (relative.isEmpty()) {
            throw new IllegalArgumentException("content path must not be empty");
        }
        String downloadPath = "/raw/" + fullName + "/" + DEFAULT_BRANCH + "/" + relative;
        String json = documents.content(fullName, relative, content, documents.apiBase() + downloadPath);
        Resource.Representation raw = new Resource.Representation(content.clone(), "application/vnd.github.raw",
                Resource.RAW_MEDIA_TYPE);
        resources.put("/repos/" + fullName + "/contents/" + relative,
                new Resource(Resource.Representation.json(json), raw, null, repository.readerTokens));
        Resource.Representation download = new Resource.Representation(content.clone(), "application/octet-stream",
                Resource.RAW_MEDIA_TYPE);
        resources.put(downloadPath, new Resource(download, null, null, repository.readerTokens));
    }

    /** Appends one open issue, creating the repository as public if needed, and returns its number. */
    synchronized int addIssue(String fullName, String title) {
        Repository repository = repositoryOrCreate(fullName);
        Instant time = ResourceStore.nextChangeTime(repository.issuesChangedAt);
        Issue issue = appendIssue(repository, title, time);
        issuesChanged(repository, time);
        return issue.number;
    }

    /** Appends {@code count} issues titled "Issue N" that share one creation time. */
    synchronized void addIssues(String fullName, int count) {
        if (count < 0) {
            throw new IllegalArgumentException("count must be >= 0, got " + count);
        }
        Repository repository = repositoryOrCreate(fullName);
        Instant time = ResourceStore.nextChangeTime(repository.issuesChangedAt);
        for (int i = 0; i < count; i++) {
            appendIssue(repository, "Issue " + (repository.issues.size() + 1), time);
        }
        issuesChanged(repository, time);
    }

    /** Changes an issue's title and {@code updated_at}, which changes every list page that contains it. */
    synchronized void updateIssue(String fullName, int number, String title) {
        Repository repository = repositories.get(fullName);
        if (repository == null || number < 1 || number > repository.issues.size()) {
            throw new IllegalArgumentException("issue " + fullName + "#" + number + " does not exist in the fake");
        }
        Issue issue = repository.issues.get(number - 1);
        Instant time = ResourceStore.nextChangeTime(repository.issuesChangedAt);
        issue.title = title;
        issue.updatedAt = time;
        publishIssue(repository, issue);
        issuesChanged(repository, time);
    }

    /**
     * Renders one page of {@code GET /repos/{owner}/{repo}/issues}, or returns null when the repository does not
     * exist.
     *
     * <p>The query parameters {@code per_page} (default 30, max 100), {@code page} (default 1) and
     * {@code direction} are honoured, and others are kept in the {@code Link} URLs. The list is in ascending order of
     * number unless {@code direction=desc} is sent.
     * NOTE: GitHub's default is {@code direction=desc}. The fake lists oldest first by default, so that appending
     * an issue leaves the earlier pages unchanged, as on GitHub endpoints that list in ascending order.
     */
    synchronized IssuePage issuePage(String fullName, String rawQuery) {
        Repository repository = repositories.get(fullName);
        if (repository == null) {
            return null;
        }
        ListQuery query = ListQuery.parse(rawQuery);
        int perPage = query.perPage();
        long page = query.page();

        List<Issue> ordered = new ArrayList<>(repository.issues);
        if (query.descending()) {
            ordered = ordered.reversed();
        }
        int total = ordered.size();
        long lastPage = Math.max(1, (total + perPage - 1) / perPage);
        long from = (page - 1) * perPage;
        List<Issue> items = from >= total ? List.of() : ordered.subList((int) from, (int) Math.min(total,
                from + perPage));

        List<String> elements = new ArrayList<>();
        Instant lastModified = repository.createdAt;
        for (Issue issue : items) {
            elements.add(issue.json);
            if (issue.updatedAt.isAfter(lastModified)) {
                lastModified = issue.updatedAt;
            }
        }
        // In descending order, appending an issue shifts older issues onto every page.
        if (query.descending()) {
            lastModified = repository.issuesChangedAt;
        }
        Resource resource = new Resource(Resource.Representation.json(Json.array(elements)), null, lastModified,
                repository.readerTokens);
        String listUrl = documents.apiBase() + "/repos/" + fullName + "/issues";
        return new IssuePage(resource, link(listUrl, query.keptParameters(), page, lastPage));
    }

    /**
     * Builds a {@code Link} value in GitHub's order: prev, next, last, first. Returns null when everything fits on
     * the first page.
     */
    private static String link(String listUrl, List<String> keptParameters, long page, long lastPage) {
        List<String> parts = new ArrayList<>();
        if (page > 1) {
            parts.add(pageUrl(listUrl, keptParameters, page - 1, "prev"));
        }
        if (page < lastPage) {
            parts.add(pageUrl(listUrl, keptParameters, page + 1, "next"));
            parts.add(pageUrl(listUrl, keptParameters, lastPage, "last"));
        }
        if (page > 1) {
            parts.add(pageUrl(listUrl, keptParameters, 1, "first"));
        }
        return parts.isEmpty() ? null : String.join(", ", parts);
    }

    private static String pageUrl(String listUrl, List<String> keptParameters, long page, String rel) {
        List<String> parameters = new ArrayList<>(keptParameters);
        parameters.add("page=" + page);
        return "<" + listUrl + "?" + String.join("&", parameters) + ">; rel=\"" + rel + "\"";
    }

    private Issue appendIssue(Repository repository, String title, Instant time) {
        Issue issue = new Issue(repository.issues.size() + 1, nextIssueId++, title, time);
        repository.issues.add(issue);
        publishIssue(repository, issue);
        return issue;
    }

    private void publishIssue(Repository repository, Issue issue) {
        issue.json = documents.issue(repository, issue);
        resources.put("/repos/" + repository.fullName() + "/issues/" + issue.number,
                new Resource(Resource.Representation.json(issue.json), null, null, repository.readerTokens));
    }

    /** Records an issue change and re-publishes the repository, whose {@code open_issues_count} changed. */
    private void issuesChanged(Repository repository, Instant time) {
        repository.issuesChangedAt = time;
        repository.updatedAt = time;
        publishRepository(repository);
    }

    private Repository repositoryOrCreate(String fullName) {
        requireFullName(fullName);
        Repository existing = repositories.get(fullName);
        return existing != null ? existing : createRepository(fullName, Set.of());
    }

    private Repository createRepository(String fullName, Set<String> readerTokens) {
        int slash = fullName.indexOf('/');
        Account owner = account(fullName.substring(0, slash));
        Instant now = ResourceStore.nextChangeTime(null);
        Repository repository = new Repository(owner, fullName.substring(slash + 1), nextRepositoryId++, readerTokens,
                now);
        repositories.put(fullName, repository);
        publishRepository(repository);
        return repository;
    }

    private void publishRepository(Repository repository) {
        resources.put("/repos/" + repository.fullName(), new Resource(
                Resource.Representation.json(documents.repository(repository)), null, null,
                repository.readerTokens));
    }

    /** Returns the account for the login, creating it and publishing {@code /users/{login}} on first use. */
    private Account account(String login) {
        if (login == null || !login.matches("[A-Za-z0-9-]+")) {
            throw new IllegalArgumentException("login must contain only letters, digits and '-', got " + login);
        }
        return accountsByLogin.computeIfAbsent(login, key -> {
            Account account = new Account(key, nextAccountId++, ResourceStore.nextChangeTime(null));
            resources.put("/users/" + key, Resource.publicJson(
                    documents.user(key, account.id(), account.createdAt()), null));
            return account;
        });
    }

    private static void requireFullName(String fullName) {
        if (fullName == null || !FULL_NAME.matcher(fullName).matches()) {
            throw new IllegalArgumentException("repository must be given as owner/name, got " + fullName);
        }
    }

    private static long parseOr(String value, long fallback) {
        try {
            return Long.parseLong(value.trim());
        } catch (NumberFormatException e) {
            return fallback;
        }
    }

    private static String decode(String raw) {
        try {
            return URLDecoder.decode(raw, StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return raw;
        }
    }
}
