package io.ghmirror;

import io.ghmirror.config.MirrorCommand;
import io.ghmirror.config.Settings;
import io.ghmirror.config.SettingsException;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;

/** Entry point: parses settings, starts the mirror and stops it gracefully on SIGTERM or SIGINT. */
public final class Main {

    private Main() {}

    /** Sets the validated log levels; Logback itself reads no environment variable. */
    private static void applyLogLevels(Settings settings) {
        if (org.slf4j.LoggerFactory.getILoggerFactory() instanceof ch.qos.logback.classic.LoggerContext context) {
            context.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)
                    .setLevel(ch.qos.logback.classic.Level.toLevel(settings.logLevel()));
            context.getLogger("io.ghmirror.requests")
                    .setLevel(ch.qos.logback.classic.Level.toLevel(settings.requestLogLevel()));
        }
    }

    public static void main(String[] args) {
        MirrorCommand command = new MirrorCommand();
        CommandLine commandLine = new CommandLine(command);
        CommandLine.ParseResult parsed;
        try {
            parsed = commandLine.parseArgs(args);
        } catch (CommandLine.ParameterException e) {
            System.err.println("github-mirror: " + e.getMessage());
            System.err.println("Run with --help to list every setting.");
            System.exit(2);
            return;
        }
        if (CommandLine.printHelpIfRequested(parsed)) {
            return;
        }

        Settings settings;
        try {
            settings = command.toSettings();
        } catch (SettingsException e) {
            System.err.println("github-mirror: " + e.getMessage());
            System.exit(2);
            return;
        }

        applyLogLevels(settings);

        MirrorApplication application;
        try {
            application = MirrorApplication.start(settings);
        } catch (Exception e) {
            System.err.println("github-mirror: cannot start: " + e.getMessage());
            System.exit(1);
            return;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            application.close();
            stopped.countDown();
        }, "shutdown"));
        try {
            application.join();
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
