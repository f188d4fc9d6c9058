package io.ghmirror.fake;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;

/**
 * JSON documents in the shape api.github.com sends them, with API URLs that point at the fake.
 *
 * <p>The fields are a realistic subset of GitHub's REST API (version 2022-11-28): enough for the mirror and for
 * org.kohsuke:github-api to parse users, repositories, issues and contents.
 */
final class Documents {

    static final String REST_DOCS = "https://docs.github.com/rest";
    static final String RATE_LIMIT_DOCS =
            "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting";
    static final String SECONDARY_RATE_LIMIT_DOCS =
            "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits";
    static final String AUTHENTICATED_USER_DOCS = "https://docs.github.com/rest/users/users#get-the-authenticated-user";

    private final String apiBase;
    private final String webBase;
    private final String avatarBase;

    /**
     * @param apiBase    base URL of the REST API, such as {@code http://127.0.0.1:PORT/api/v3}
     * @param webBase    base URL of the web pages, {@code https://github.com} or the GitHub Enterprise Server host
     * @param avatarBase base URL of avatar images
     */
    Documents(String apiBase, String webBase, String avatarBase) {
        this.apiBase = apiBase;
        this.webBase = webBase;
        this.avatarBase = avatarBase;
    }

    /** Returns GitHub's error body, such as {@code {"message":"Not Found","documentation_url":...,"status":"404"}}. */
    static String error(String message, String documentationUrl, int status) {
        return Json.object()
                .string("message", message)
                .string("documentation_url", documentationUrl)
                .string("status", Integer.toString(status))
                .build();
    }

    String apiBase() {
        return apiBase;
    }

    /** Renders the short account object that GitHub embeds as {@code owner} or {@code user}. */
    String simpleUser(String login, long id) {
        return simpleUserFields(login, id).build();
    }

    /** Renders the full public profile sent by {@code GET /user} and {@code GET /users/{login}}. */
    String user(String login, long id, Instant createdAt) {
        return simpleUserFields(login, id)
                .string("name", login)
                .nullValue("company")
                .string("blog", "")
                .nullValue("location")
                .nullValue("email")
                .nullValue("hireable")
                .nullValue("bio")
                .nullValue("twitter_username")
                .number("public_repos", 0)
                .number("public_gists", 0)
                .number("followers", 0)
                .number("following", 0)
                .string("created_at", createdAt.toString())
                .string("updated_at", createdAt.toString())
                .build();
    }

    private Json.ObjectWriter simpleUserFields(String login, long id) {
        String url = apiBase + "/users/" + login;
        return Json.object()
                .string("login", login)
                .number("id", id)
                .string("node_id", nodeId("U_", id))
                .string("avatar_url", avatarBase + "/u/" + id + "?v=4")
                .string("gravatar_id", "")
                .string("url", url)
                .string("html_url", webBase + "/" + login)
                .string("followers_url", url + "/followers")
                .string("following_url", url + "/following{/other_user}")
                .string("gists_url", url + "/gists{/gist_id}")
                .string("starred_url", url + "/starred{/owner}{/repo}")
                .string("subscriptions_url", url + "/subscriptions")
                .string("organizations_url", url + "/orgs")
                .string("repos_url", url + "/repos")
                .string("events_url", url + "/events{/privacy}")
                .string("received_events_url", url + "/received_events")
                .string("type", "User")
                .string("user_view_type", "public")
                .bool("site_admin", false);
    }

    /** Renders the full repository object sent by {@code GET /repos/{owner}/{repo}}. */
    String repository(GitHubData.Repository repository) {
        String fullName = repository.fullName();
        String url = apiBase + "/repos/" + fullName;
        String html = webBase + "/" + fullName;
        String gitHost = webBase.replaceFirst("^https?://", "");
        boolean isPrivate = !repository.readerTokens.isEmpty();
        return Json.object()
                .number("id", repository.id)
                .string("node_id", nodeId("R_", repository.id))
                .string("name", repository.name)
                .string("full_name", fullName)
                .bool("private", isPrivate)
                .raw("owner", simpleUser(repository.owner.login(), repository.owner.id()))
                .string("html_url", html)
                .nullValue("description")
                .bool("fork", false)
                .string("url", url)
                .string("forks_url", url + "/forks")
                .string("keys_url", url + "/keys{/key_id}")
                .string("collaborators_url", url + "/collaborators{/collaborator}")
                .string("teams_url", url + "/teams")
                .string("hooks_url", url + "/hooks")
                .string("issue_events_url", url + "/issues/events{/number}")
                .string("events_url", url + "/events")
                .string("assignees_url", url + "/assignees{/user}")
                .string("branches_url", url + "/branches{/branch}")
                .string("tags_url", url + "/tags")
                .string("blobs_url", url + "/git/blobs{/sha}")
                .string("git_tags_url", url + "/git/tags{/sha}")
                .string("git_refs_url", url + "/git/refs{/sha}")
                .string("trees_url", url + "/git/trees{/sha}")
                .string("statuses_url", url + "/statuses/{sha}")
                .string("languages_url", url + "/languages")
                .string("stargazers_url", url + "/stargazers")
                .string("contributors_url", url + "/contributors")
                .string("subscribers_url", url + "/subscribers")
                .string("subscription_url", url + "/subscription")
                .string("commits_url", url + "/commits{/sha}")
                .string("git_commits_url", url + "/git/commits{/sha}")
                .string("comments_url", url + "/comments{/number}")
                .string("issue_comment_url", url + "/issues/comments{/number}")
                .string("contents_url", url + "/contents/{+path}")
                .string("compare_url", url + "/compare/{base}...{head}")
                .string("merges_url", url + "/merges")
                .string("archive_url", url + "/{archive_format}{/ref}")
                .string("downloads_url", url + "/downloads")
                .string("issues_url", url + "/issues{/number}")
                .string("pulls_url", url + "/pulls{/number}")
                .string("milestones_url", url + "/milestones{/number}")
                .string("notifications_url", url + "/notifications{?since,all,participating}")
                .string("labels_url", url + "/labels{/name}")
                .string("releases_url", url + "/releases{/id}")
                .string("deployments_url", url + "/deployments")
                .string("created_at", repository.createdAt.toString())
                .string("updated_at", repository.updatedAt.toString())
                .string("pushed_at", repository.updatedAt.toString())
                .string("git_url", "git://" + gitHost + "/" + fullName + ".git")
                .string("ssh_url", "git@" + gitHost + ":" + fullName + ".git")
                .string("clone_url", html + ".git")
                .string("svn_url", html)
                .nullValue("homepage")
                .number("size", 0)
                .number("stargazers_count", 0)
                .number("watchers_count", 0)
                .nullValue("language")
                .bool("has_issues", true)
                .bool("has_projects", true)
                .bool("has_downloads", true)
                .bool("has_wiki", true)
                .bool("has_pages", false)
                .bool("has_discussions", false)
                .number("forks_count", 0)
                .nullValue("mirror_url")
                .bool("archived", false)
                .bool("disabled", false)
                .number("open_issues_count", repository.issues.size())
                .nullValue("license")
                .bool("allow_forking", true)
                .bool("is_template", false)
                .raw("topics", "[]")
                .string("visibility", isPrivate ? "private" : "public")
                .number("forks", 0)
                .number("open_issues", repository.issues.size())
                .number("watchers", 0)
                .string("default_branch", GitHubData.DEFAULT_BRANCH)
                .raw("permissions", Json.object()
                        .bool("admin", false)
                        .bool("maintain", false)
                        .bool("push", false)
                        .bool("triage", false)
                        .bool("pull", true)
                        .build())
                .number("network_count", 0)
                .number("subscribers_count", 0)
                .build();
    }

    /** Renders one issue as listed by {@code GET /repos/{owner}/{repo}/issues}. */
    String issue(GitHubData.Repository repository, GitHubData.Issue issue) {
        String repositoryUrl = apiBase + "/repos/" + repository.fullName();
        String url = repositoryUrl + "/issues/" + issue.number;
        return Json.object()
                .string("url", url)
                .string("repository_url", repositoryUrl)
                .string("labels_url", url + "/labels{/name}")
                .string("comments_url", url + "/comments")
                .string("events_url", url + "/events")
                .string("html_url", webBase + "/" + repository.fullName() + "/issues/" + issue.number)
                .number("id", issue.id)
                .string("node_id", nodeId("I_", issue.id))
                .number("number", issue.number)
                .string("title", issue.title)
                .raw("user", simpleUser(repository.owner.login(), repository.owner.id()))
                .raw("labels", "[]")
                .string("state", "open")
                .bool("locked", false)
                .nullValue("assignee")
                .raw("assignees", "[]")
                .nullValue("milestone")
                .number("comments", 0)
                .string("created_at", issue.createdAt.toString())
                .string("updated_at", issue.updatedAt.toString())
                .nullValue("closed_at")
                .string("author_association", "OWNER")
                .nullValue("active_lock_reason")
                .string("body", "Body of issue " + issue.number)
                .nullValue("closed_by")
                .nullValue("performed_via_github_app")
                .nullValue("state_reason")
                .build();
    }

    /**
     * Renders the JSON description of a file from {@code GET /repos/{owner}/{repo}/contents/{path}}. Like GitHub,
     * the base64 content is wrapped every 60 characters.
     */
    String content(String fullName, String path, byte[] content, String downloadUrl) {
        String sha = gitBlobSha(content);
        String url = apiBase + "/repos/" + fullName + "/contents/" + path + "?ref=" + GitHubData.DEFAULT_BRANCH;
        String gitUrl = apiBase + "/repos/" + fullName + "/git/blobs/" + sha;
        String htmlUrl = webBase + "/" + fullName + "/blob/" + GitHubData.DEFAULT_BRANCH + "/" + path;
        String base64 = Base64.getMimeEncoder(60, new byte[] {'\n'}).encodeToString(content) + "\n";
        int slash = path.lastIndexOf('/');
        return Json.object()
                .string("name", path.substring(slash + 1))
                .string("path", path)
                .string("sha", sha)
                .number("size", content.length)
                .string("url", url)
                .string("html_url", htmlUrl)
                .string("git_url", gitUrl)
                .string("download_url", downloadUrl)
                .string("type", "file")
                .string("content", base64)
                .string("encoding", "base64")
                .raw("_links", Json.object()
                        .string("self", url)
                        .string("git", gitUrl)
                        .string("html", htmlUrl)
                        .build())
                .build();
    }

    /** Renders the API root document sent by {@code GET /}. */
    String root() {
        return Json.object()
                .string("current_user_url", apiBase + "/user")
                .string("current_user_authorizations_html_url",
                        webBase + "/settings/connections/applications{/client_id}")
                .string("authorizations_url", apiBase + "/authorizations")
                .string("code_search_url", apiBase + "/search/code?q={query}{&page,per_page,sort,order}")
                .string("commit_search_url", apiBase + "/search/commits?q={query}{&page,per_page,sort,order}")
                .string("emails_url", apiBase + "/user/emails")
                .string("emojis_url", apiBase + "/emojis")
                .string("events_url", apiBase + "/events")
                .string("feeds_url", apiBase + "/feeds")
                .string("followers_url", apiBase + "/user/followers")
                .string("following_url", apiBase + "/user/following{/target}")
                .string("gists_url", apiBase + "/gists{/gist_id}")
                .string("issue_search_url", apiBase + "/search/issues?q={query}{&page,per_page,sort,order}")
                .string("issues_url", apiBase + "/issues")
                .string("keys_url", apiBase + "/user/keys")
                .string("notifications_url", apiBase + "/notifications")
                .string("organization_url", apiBase + "/orgs/{org}")
                .string("organization_repositories_url", apiBase + "/orgs/{org}/repos{?type,page,per_page,sort}")
                .string("public_gists_url", apiBase + "/gists/public")
                .string("rate_limit_url", apiBase + "/rate_limit")
                .string("repository_url", apiBase + "/repos/{owner}/{repo}")
                .string("repository_search_url",
                        apiBase + "/search/repositories?q={query}{&page,per_page,sort,order}")
                .string("current_user_repositories_url", apiBase + "/user/repos{?type,page,per_page,sort}")
                .string("starred_url", apiBase + "/user/starred{/owner}{/repo}")
                .string("user_url", apiBase + "/users/{user}")
                .string("user_organizations_url", apiBase + "/user/orgs")
                .string("user_repositories_url", apiBase + "/users/{user}/repos{?type,page,per_page,sort}")
                .string("user_search_url", apiBase + "/search/users?q={query}{&page,per_page,sort,order}")
                .build();
    }

    /** Renders {@code GET /rate_limit} for one bucket. Only {@code core} is tracked, the other resources are full. */
    static String rateLimit(RateLimits.Snapshot core) {
        String coreJson = rateLimitEntry(core.limit(), core.used(), core.resetEpochSecond(), "core");
        long reset = core.resetEpochSecond();
        return Json.object()
                .raw("resources", Json.object()
                        .raw("core", coreJson)
                        .raw("search", rateLimitEntry(30, 0, reset, "search"))
                        .raw("graphql", rateLimitEntry(5000, 0, reset, "graphql"))
                        .build())
                .raw("rate", coreJson)
                .build();
    }

    private static String rateLimitEntry(int limit, int used, long reset, String resource) {
        return Json.object()
                .number("limit", limit)
                .number("used", used)
                .number("remaining", Math.max(0, limit - used))
                .number("reset", reset)
                .string("resource", resource)
                .build();
    }

    /** Renders the body of an echoed write request. */
    static String echo(String method, String target, byte[] body, String contentType) {
        return Json.object()
                .string("method", method)
                .string("path", target)
                .string("body", new String(body, StandardCharsets.UTF_8))
                .string("content_type", contentType)
                .build();
    }

    /** Returns the Git blob SHA-1 of {@code content}, which GitHub sends as a file's {@code sha}. */
    static String gitBlobSha(byte[] content) {
        try {
            MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
            sha1.update(("blob " + content.length + "\0").getBytes(StandardCharsets.US_ASCII));
            return HexFormat.of().formatHex(sha1.digest(content));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is missing from this JVM", e);
        }
    }

    private static String nodeId(String prefix, long id) {
        return prefix + Base64.getUrlEncoder().withoutPadding().encodeToString(Long.toString(id).getBytes(
                StandardCharsets.US_ASCII));
    }
}
