package io.ghmirror.support;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the mirror's real entry point in a child JVM on a free loopback port, for tests that need
 * a separate process: a restart after SIGKILL, or two replicas sharing one Redis.
 */
public final class MirrorProcess implements AutoCloseable {

    private static final Pattern LISTENING = Pattern.compile("Listening on [^:]+:(\\d+)");
    private static final Duration STARTUP_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final ConcurrentLinkedQueue<String> output = new ConcurrentLinkedQueue<>();
    private final int port;

    private MirrorProcess(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    /**
     * Starts {@code io.ghmirror.Main} with the given flags plus loopback binding on a free port, and
     * waits until it logs the port it listens on.
     */
    public static MirrorProcess start(String... flags) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx256m");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add("io.ghmirror.Main");
        command.add("--bind-address=127.0.0.1");
        command.add("--port=0");
        command.add("--github-status-url=");
        command.addAll(List.of(flags));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();

        CompletableFuture<Integer> port = new CompletableFuture<>();
        ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    lines.add(line);
                    Matcher matcher = LISTENING.matcher(line);
                    if (matcher.find()) {
                        port.complete(Integer.parseInt(matcher.group(1)));
                    }
                }
            } catch (IOException e) {
                // the process ended; its exit is reported below
            }
            port.completeExceptionally(new IllegalStateException(
                    "mirror process exited before listening; output:\n" + String.join("\n", lines)));
        }, "mirror-process-output");
        reader.setDaemon(true);
        reader.start();
        try {
            MirrorProcess mirror = new MirrorProcess(process, port.get(STARTUP_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            mirror.output.addAll(lines);
            return mirror;
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            throw new IllegalStateException("mirror process did not start: " + e.getMessage()
                    + "\noutput:\n" + String.join("\n", lines), e);
        }
    }

    public int port() {
        return port;
    }

    public String baseUrl() {
        return "http://127.0.0.1:" + port;
    }

    public long pid() {
        return process.pid();
    }

    /** Kills the process with SIGKILL, as a crash or an OOM killer would, and waits for it. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    /** Stops the process with SIGTERM and waits for it; returns its exit code. */
    public int stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
        return process.exitValue();
    }

    @Override
    public void close() {
        if (process.isAlive()) {
            process.destroyForcibly();
            try {
                process.waitFor(20, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
