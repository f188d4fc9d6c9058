package io.ghmirror.support;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.AppenderBase;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.LoggerFactory;

/**
 * Collects Logback events of the given loggers in memory while it is open. The appender runs in
 * the logging thread, next to the configured appenders, so an event is captured as soon as the
 * code under test logs it.
 */
public final class LogCapture implements AutoCloseable {

    /** One captured event: the logger name, the level, the formatted message and any stack trace. */
    public record Line(String logger, String level, String message, String throwable) {

        /** Returns every captured character of the event, for checks that nothing leaked. */
        public String fullText() {
            return level + " " + logger + ": " + message + (throwable.isEmpty() ? "" : "\n" + throwable);
        }
    }

    private final List<Logger> loggers = new ArrayList<>();
    private final List<Line> lines = new ArrayList<>();
    private final AppenderBase<ILoggingEvent> appender = new AppenderBase<>() {
        @Override
        protected void append(ILoggingEvent event) {
            String throwable = event.getThrowableProxy() == null
                    ? ""
                    : ThrowableProxyUtil.asString(event.getThrowableProxy());
            LogCapture.this.add(new Line(event.getLoggerName(), event.getLevel().toString(),
                    event.getFormattedMessage(), throwable));
        }
    };

    private LogCapture() {}

    /**
     * Attaches a capturing appender to each named logger. {@code Logger.ROOT_LOGGER_NAME} captures
     * every logger that passes events to the root. Loggers with additivity off, such as the request
     * log {@code io.ghmirror.requests}, must be named themselves.
     */
    public static LogCapture attach(String... loggerNames) {
        LogCapture capture = new LogCapture();
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        capture.appender.setContext(context);
        capture.appender.setName("test-capture");
        capture.appender.start();
        for (String name : loggerNames) {
            Logger logger = context.getLogger(name);
            logger.addAppender(capture.appender);
            capture.loggers.add(logger);
        }
        return capture;
    }

    private synchronized void add(Line line) {
        lines.add(line);
        notifyAll();
    }

    /** Returns the events captured so far, oldest first. */
    public synchronized List<Line> lines() {
        return List.copyOf(lines);
    }

    /**
     * Waits until a captured event matches and returns it, or returns null when the timeout passes
     * first. Request log lines are written after the response, so tests wait for them.
     */
    public synchronized Line await(Predicate<Line> condition, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            for (Line line : lines) {
                if (condition.test(line)) {
                    return line;
                }
            }
            long remainingNanos = deadline - System.nanoTime();
            if (remainingNanos <= 0) {
                return null;
            }
            wait(Math.max(1, remainingNanos / 1_000_000));
        }
    }

    /** Waits until at least {@code count} events match and returns whether they did in time. */
    public synchronized boolean awaitCount(Predicate<Line> condition, int count, Duration timeout)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (lines.stream().filter(condition).count() < count) {
            long remainingNanos = deadline - System.nanoTime();
            if (remainingNanos <= 0) {
                return false;
            }
            wait(Math.max(1, remainingNanos / 1_000_000));
        }
        return true;
    }

    @Override
    public void close() {
        for (Logger logger : loggers) {
            logger.detachAppender(appender);
        }
        appender.stop();
    }
}
