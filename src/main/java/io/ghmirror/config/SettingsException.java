package io.ghmirror.config;

/** A setting has an invalid value; the message names the setting, the value and what is accepted. */
public class SettingsException extends RuntimeException {

    public SettingsException(String message) {
        super(message);
    }
}
