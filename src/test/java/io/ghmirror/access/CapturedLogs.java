package io.ghmirror.access;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.classic.spi.StackTraceElementProxy;
import ch.qos.logback.core.AppenderBase;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.LoggerFactory;

/**
 * Records every Logback event while open: formatted messages, raw arguments and exception text,
 * from the root logger and from the request logger, which does not pass events to the root.
 */
final class CapturedLogs extends AppenderBase<ILoggingEvent> implements AutoCloseable {

    private static final String[] LOGGERS = {org.slf4j.Logger.ROOT_LOGGER_NAME, "io.ghmirror.requests"};

    /** The mirror's own loggers, whose level {@link #captureDebug()} lowers. */
    private static final String MIRROR_LOGGER = "io.ghmirror";

    private final List<String> lines = new ArrayList<>();
    private Level previousMirrorLevel;
    private boolean mirrorLevelChanged;

    private CapturedLogs() {}

    /** Starts recording at the configured levels. */
    static CapturedLogs capture() {
        CapturedLogs appender = new CapturedLogs();
        appender.attach();
        return appender;
    }

    /** Starts recording with the mirror's loggers at DEBUG, restored by {@link #close()}. */
    static CapturedLogs captureDebug() {
        CapturedLogs appender = new CapturedLogs();
        Logger mirror = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(MIRROR_LOGGER);
        appender.previousMirrorLevel = mirror.getLevel();
        appender.mirrorLevelChanged = true;
        mirror.setLevel(Level.DEBUG);
        appender.attach();
        return appender;
    }

    private void attach() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        setContext(context);
        setName("captured-logs");
        start();
        for (String name : LOGGERS) {
            context.getLogger(name).addAppender(this);
        }
    }

    @Override
    protected synchronized void append(ILoggingEvent event) {
        StringBuilder line = new StringBuilder(event.getLevel() + " " + event.getLoggerName() + ": "
                + event.getFormattedMessage());
        if (event.getArgumentArray() != null) {
            for (Object argument : event.getArgumentArray()) {
                line.append(" | ").append(argument);
            }
        }
        for (IThrowableProxy error = event.getThrowableProxy(); error != null; error = error.getCause()) {
            line.append(" | ").append(error.getClassName()).append(": ").append(error.getMessage());
            for (StackTraceElementProxy frame : error.getStackTraceElementProxyArray()) {
                line.append(' ').append(frame.getSTEAsString());
            }
        }
        lines.add(line.toString());
    }

    /** Returns everything recorded so far, one event per line. */
    synchronized String text() {
        return String.join("\n", lines);
    }

    /** Returns the number of events recorded so far. */
    synchronized int size() {
        return lines.size();
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        for (String name : LOGGERS) {
            Logger logger = context.getLogger(name);
            logger.detachAppender(this);
        }
        if (mirrorLevelChanged) {
            context.getLogger(MIRROR_LOGGER).setLevel(previousMirrorLevel);
        }
        stop();
    }
}
