package io.ghmirror.mirror;

/** Counts the items of a top-level JSON array without parsing the items themselves. */
final class JsonArrays {

    private JsonArrays() {}

    /** Returns the number of items, or -1 when the body is not a JSON array. */
    static int countTopLevelItems(byte[] body) {
        int i = skipWhitespace(body, 0);
        if (i >= body.length || body[i] != '[') {
            return -1;
        }
        int depth = 0;
        int items = 0;
        boolean inString = false;
        boolean sawValue = false;
        for (; i < body.length; i++) {
            byte b = body[i];
            if (inString) {
                if (b == '\\') {
                    i++;
                } else if (b == '"') {
                    inString = false;
                }
                continue;
            }
            switch (b) {
                case '"' -> {
                    inString = true;
                    if (depth == 1) {
                        sawValue = true;
                    }
                }
                case '[', '{' -> {
                    if (depth == 1) {
                        sawValue = true;
                    }
                    depth++;
                }
                case ']', '}' -> {
                    depth--;
                    if (depth == 0) {
                        return sawValue ? items + 1 : 0;
                    }
                }
                case ',' -> {
                    if (depth == 1) {
                        items++;
                    }
                }
                case ' ', '\n', '\r', '\t' -> { }
                default -> {
                    if (depth == 1) {
                        sawValue = true;
                    }
                }
            }
        }
        return -1;
    }

    private static int skipWhitespace(byte[] body, int from) {
        int i = from;
        while (i < body.length && (body[i] == ' ' || body[i] == '\n' || body[i] == '\r' || body[i] == '\t')) {
            i++;
        }
        return i;
    }
}
